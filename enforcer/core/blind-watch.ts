// Whether warden is blind: most requests of the last minute came from a trusted proxy's own address with no usable
// X-Forwarded-For (counted as `unattributed`: in the totals, under no client), so no rule can see who sent them. A
// proxy that stopped sending the header, or a realip set-up that does not trust it, looks like this. Pure: the caller
// gives the time and the counts of each poll.

/** When the watch speaks. */
export interface BlindWatchOptions {
  /** Seconds of polls it sums (default 60). */
  windowSec: number;
  /** Requests the window must hold before it judges (default 100). */
  minRequests: number;
  /** Unattributed share at which it says "blind" (default 0.5)... */
  startShare: number;
  /** ...and below which it says "seeing again" (default 0.2): apart, so a share near one line does not flap. */
  endShare: number;
}

/** The watch's view after a poll. */
export interface BlindView {
  blind: boolean;
  /** Unattributed / all requests over the window (0 when it holds none). */
  share: number;
  /** Requests in the window. */
  requests: number;
}

/** A running watch. */
export interface BlindWatch {
  /** Adds one poll's counts at epoch second `tSec`; says 'started' or 'ended' when the state changes, else null. */
  observe(tSec: number, requests: number, unattributed: number): 'started' | 'ended' | null;
  view(): BlindView;
}

export const BLIND_DEFAULTS: BlindWatchOptions = { windowSec: 60, minRequests: 100, startShare: 0.5, endShare: 0.2 };

/**
 * Creates a watch.
 * @example
 *   const w = createBlindWatch();
 *   w.observe(t, 500, 400) // 'started': 80% of 500 requests had no client
 */
export function createBlindWatch(opts: BlindWatchOptions = BLIND_DEFAULTS): BlindWatch {
  // Per second of the window: [second, requests, unattributed], oldest first.
  const polls: Array<[number, number, number]> = [];
  let requests = 0;
  let unattributed = 0;
  let blind = false;
  return {
    observe(tSec, req, un) {
      polls.push([tSec, req, un]);
      requests += req;
      unattributed += un;
      while (polls.length && polls[0][0] <= tSec - opts.windowSec) {
        const [, r, u] = polls.shift() as [number, number, number];
        requests -= r;
        unattributed -= u;
      }
      const share = requests > 0 ? unattributed / requests : 0;
      if (!blind && requests >= opts.minRequests && share >= opts.startShare) {
        blind = true;
        return 'started';
      }
      if (blind && (share < opts.endShare || requests < opts.minRequests / 10)) {
        blind = false;
        return 'ended';
      }
      return null;
    },
    view() {
      return { blind, share: requests > 0 ? unattributed / requests : 0, requests };
    },
  };
}
