// The "what the other clients do" level the population rules compare a client with: a high quantile of the clients'
// sums, taken below the top clients so that a client (or two) can never raise its own threshold.
import type { Population, Signal, WindowName } from './types.js';

/** How many of the heaviest clients a peer level always leaves out. */
export const PEER_EXCLUDED = 2;

/**
 * The `q`-quantile of the clients' sums of `signal` over `window`, lowered so that the top PEER_EXCLUDED clients are
 * above it: with n clients the quantile used is min(q, 1 - PEER_EXCLUDED / n). 0 when fewer than PEER_EXCLUDED + 1
 * clients have sent the signal (then only a rule's absolute floor applies).
 * @example peerLevel(ctx.population, 0.999, 'total', 'short') // 12: the clients' short-window sums, top two left out
 */
export function peerLevel(pop: Population, q: number, signal: Signal, window: WindowName): number {
  const n = pop.count(signal, window);
  if (n <= PEER_EXCLUDED) return 0;
  return pop.quantile(Math.min(q, 1 - PEER_EXCLUDED / n), signal, window);
}
