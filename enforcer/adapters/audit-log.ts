// The audit log: one human-readable line per ban, unban, global alert, baseline recomputation and failure,
// appended synchronously to a file that logrotate may move (reopen() on SIGHUP). Write failures are logged, never thrown.
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BanDecision, UnbanDecision, GlobalAlertDecision, BaselineDecision, Clock, RuleAlertDecision, SparedDecision } from '../core/types.js';
import { formatDuration } from '../config/duration.js';
import type { Logger } from './logger.js';
import { condition, num2, oneLine, sourceLabel, isoSec } from './alerts/describe.js';

/** The audit log's writers. */
export interface AuditLog {
  /** `BAN ip | zscore=7.21>3.0 | rate=41.20 | baseline=2.10 | duration=10m`; `threshold` overrides d.threshold. */
  ban(d: BanDecision, threshold?: number): void;
  /** `UNBAN ip | reason=expired`. */
  unban(d: UnbanDecision): void;
  /** `ALERT ip | ceiling=41.20>30.0 | rate=41.20 | baseline=2.10 | mode=alert` (a rule in mode alert: nothing enforced). */
  ruleAlert(d: RuleAlertDecision): void;
  /** `GLOBAL_ALERT | zscore=9.00>3.0 | rate=.. | baseline=..`; `threshold` overrides d.threshold. */
  globalAlert(d: GlobalAlertDecision, threshold?: number): void;
  /** `BASELINE | mean=.. | stddev=.. | source=hour_slot(14) | samples=..`. */
  baseline(d: BaselineDecision): void;
  /** `SPARED 2001:db8:1:2::/64 | ceiling | rate=.. | reason=allow-listed address inside`: a network not banned. */
  spared(d: SparedDecision): void;
  /** `FAILURE | what | detail`. */
  failure(what: string, detail: string): void;
  /** `ALLOW_ADD 203.0.113.9/32 | by=198.51.100.2 | note=sync client` or `ALLOW_REMOVE ...`: a runtime allow-list change. */
  allowChange(op: 'add' | 'remove', cidr: string, actor: string, note?: string): void;
  /** Closes and reopens the file (after logrotate moved it). */
  reopen(): void;
  /** Closes the file; later writes reopen it. */
  close(): void;
}

/**
 * Opens (creating it and its parent directory) an append-only audit log.
 * @example
 * const audit = openAuditLog('var/audit.log', { clock: systemClock, log });
 * audit.ban(decision); // [2026-01-01T12:00:00Z] BAN 203.0.113.9 | zscore=7.21>3.0 | rate=41.20 | baseline=2.10 | duration=10m
 * process.on('SIGHUP', () => audit.reopen());
 */
export function openAuditLog(path: string, deps: { clock: Clock; log: Pick<Logger, 'error' | 'every'> }): AuditLog {
  let fd: number | null = null;

  const open = (): boolean => {
    if (fd !== null) return true;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'a', 0o640);
      return true;
    } catch (err) {
      const e = new Error(`cannot open audit log ${path}: ${(err as Error).message}`, { cause: err });
      deps.log.every(`audit-open:${path}`, 60_000, 'error', e.message);
      return false;
    }
  };

  const write = (body: string): void => {
    const line = `[${isoSec(deps.clock.nowMs() / 1000)}] ${body}\n`;
    if (!open()) return;
    try {
      writeSync(fd as number, line);
    } catch (err) {
      deps.log.every(`audit-write:${path}`, 60_000, 'error', `cannot write audit log ${path}: ${(err as Error).message}`);
      // The descriptor may be bad (file system gone): reopen on the next line.
      closeQuietly();
    }
  };

  const closeQuietly = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      /* already gone */
    }
    fd = null;
  };

  open();

  return {
    ban(d, threshold) {
      const dur = `duration=${formatDuration(d.durationSec)}`;
      if (d.source === 'manual' || d.rule === 'manual') {
        const reason = oneLine(d.reason ?? '');
        write(`BAN ${oneLine(d.ip)} | manual${reason ? ` | reason=${reason}` : ''} | ${dur}${d.by ? ` | by=${oneLine(d.by)}` : ''}`);
        return;
      }
      write(`BAN ${d.ip} | ${condition(d, threshold)} | rate=${num2(d.rate)} | baseline=${num2(d.baseline.mean)} | ${dur}`);
    },
    unban(d) {
      write(`UNBAN ${oneLine(d.ip)} | reason=${d.reason}${d.by ? ` | by=${oneLine(d.by)}` : ''}`);
    },
    ruleAlert(d) {
      write(`ALERT ${d.ip} | ${condition(d)} | rate=${num2(d.rate)} | baseline=${num2(d.baseline.mean)} | mode=${d.cause === 'learning' ? 'learning' : 'alert'}`);
    },
    globalAlert(d, threshold) {
      write(`GLOBAL_ALERT | ${condition(d, threshold)} | rate=${num2(d.rate)} | baseline=${num2(d.baseline.mean)}`);
    },
    baseline(d) {
      const b = d.baseline;
      write(`BASELINE | mean=${num2(b.mean)} | stddev=${num2(b.stddev)} | source=${sourceLabel(b)} | samples=${b.samples}`);
    },
    spared(d) {
      write(`SPARED ${oneLine(d.ip)} | ${d.rule} | rate=${num2(d.rate)} | reason=allow-listed address inside`);
    },
    failure(what, detail) {
      write(`FAILURE | ${oneLine(what)} | ${oneLine(detail)}`);
    },
    allowChange(op, cidr, actor, note) {
      write(`ALLOW_${op === 'add' ? 'ADD' : 'REMOVE'} ${oneLine(cidr)} | by=${oneLine(actor || '-')}${note ? ` | note=${oneLine(note)}` : ''}`);
    },
    reopen() {
      closeQuietly();
      open();
    },
    close() {
      closeQuietly();
    },
  };
}
