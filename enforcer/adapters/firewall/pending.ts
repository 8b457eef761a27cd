// Bans and unbans queued between two commits, for the backends that pass them on as they are (nginx, dry-run).
import type { BanEntry } from './port.js';
import { pushAll } from '../../core/arrays.js';

/**
 * A queue of adds and removes, emptied by take().
 * @example const p = createPending(); p.add([{ ip: '203.0.113.9', until: null }]); const { adds, removes } = p.take();
 */
export function createPending(): {
  add(entries: BanEntry[]): void;
  remove(ips: string[]): void;
  take(): { adds: BanEntry[]; removes: string[] };
} {
  let adds: BanEntry[] = [];
  let removes: string[] = [];
  return {
    add(entries) { pushAll(adds, entries); },
    remove(ips) { pushAll(removes, ips); },
    take() {
      const out = { adds, removes };
      adds = [];
      removes = [];
      return out;
    },
  };
}
