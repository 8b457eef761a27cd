// Which of two bans of the same address stands, when two nodes banned it (each alone, while Valkey was unreachable).
// Every node and the Valkey script apply the same rule, so all of them keep the same ban.

/** The parts of a ban the rule compares. `until` null is permanent. */
export interface BanClaim {
  id: string;
  until: number | null;
}

/**
 * True when `incoming` replaces `existing`: it lasts longer (permanent is longest); on a tie the smaller id wins.
 * @example incomingWins({ id: 'b', until: 200 }, { id: 'a', until: 100 }) === true
 */
export function incomingWins(incoming: BanClaim, existing: BanClaim): boolean {
  if (incoming.id === existing.id) return false;
  const a = incoming.until === null ? Infinity : incoming.until;
  const b = existing.until === null ? Infinity : existing.until;
  if (a !== b) return a > b;
  return incoming.id < existing.id;
}
