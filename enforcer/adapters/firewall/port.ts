// The enforcement port: one small interface every backend (ipset, nftables, iptables, nginx, dry-run) implements.

/** A ban to enforce. `until` is epoch seconds; null means permanent. */
export interface BanEntry {
  ip: string;
  until: number | null;
}

/** What one commit did: entries applied, and the ones that failed with why. */
export interface CommitResult {
  added: number;
  removed: number;
  failed: Array<{ ip: string; op: 'add' | 'remove'; error: string }>;
}

/**
 * A firewall (or nginx) backend. Changes are queued by `add`/`remove` and applied in one batch by `commit`,
 * idempotently (adding a present entry or removing an absent one is not an error).
 * @example
 *   await fw.init();
 *   fw.add([{ ip: '203.0.113.9', until: now + 600 }]);
 *   const r = await fw.commit();   // { added: 1, removed: 0, failed: [] }
 */
export interface FirewallBackend {
  /** Backend name as in config (`ipset`, `nftables`, ...). */
  readonly name: string;
  /** Creates the project's own sets/chains/tables and hooks; throws BackendUnavailableError with a clear reason. */
  init(): Promise<void>;
  /** Queues bans. */
  add(entries: BanEntry[]): void;
  /** Queues unbans. */
  remove(ips: string[]): void;
  /** Applies the queue in one batch; never throws for a per-entry failure (see CommitResult.failed). */
  commit(): Promise<CommitResult>;
  /** What the backend enforces now, for reconciling with the database at start. */
  list(): Promise<BanEntry[]>;
  /** Stops using the backend, leaving active bans in place. */
  shutdown(): Promise<void>;
  /** Removes everything the project created (sets, chains, tables, hooks). For uninstall and tests. */
  destroy(): Promise<void>;
}

/** A backend that cannot start: missing binary, missing permission, unreachable nginx. */
export class BackendUnavailableError extends Error {
  constructor(public readonly backend: string, message: string, options?: { cause?: unknown }) {
    super(`backend \`${backend}\`: ${message}`, options);
    this.name = 'BackendUnavailableError';
  }
}
