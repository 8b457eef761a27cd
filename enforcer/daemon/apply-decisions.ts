// Carries the core's decisions out: firewall first (an attacker is stopped before anything else), then the database,
// the audit log and the alert queue. A per-item failure is logged and audited; the loop always goes on.
import type { Decision, BanDecision, UnbanDecision, GlobalAlertDecision, BaselineDecision, RuleAlertDecision, SparedDecision } from '../core/types.js';
import type { FirewallBackend, CommitResult } from '../adapters/firewall/port.js';

/** The parts of the store that decisions write to. */
export interface DecisionStore {
  insertBan(b: BanDecision, opts?: { dryRun?: boolean }): number;
  endBan(ip: string, at: number, reason: string): boolean;
  recordOffence(ip: string, count: number, at: number): void;
  /** Keeps what a rule that did not ban would have banned (the dashboard's and `warden history --alerts`' list). */
  insertRuleAlert(d: RuleAlertDecision): number;
  /** Runs `fn` in one transaction: a batch of bans is one commit, not two per ban. */
  transaction<T>(fn: () => T): T;
}

/** The parts of the audit log decisions write to. */
export interface DecisionAudit {
  ban(d: BanDecision): void;
  unban(d: UnbanDecision): void;
  globalAlert(d: GlobalAlertDecision): void;
  ruleAlert(d: RuleAlertDecision): void;
  baseline(d: BaselineDecision): void;
  spared(d: SparedDecision): void;
  failure(what: string, detail: string): void;
}

/** Everything decisions are applied to. */
export interface DecisionSinks {
  firewall: FirewallBackend;
  store: DecisionStore;
  audit: DecisionAudit;
  notify: (d: BanDecision | UnbanDecision | GlobalAlertDecision | RuleAlertDecision) => void;
  log: { warn(msg: string): void; error(msg: string): void; info(msg: string): void };
  dryRun: boolean;
}

/** What one batch did. */
export interface ApplyResult {
  bans: number;
  unbans: number;
  alerts: number;
  /** Alerts of rules in mode alert (never enforced). */
  ruleAlerts: number;
  firewall: CommitResult | null;
  /**
   * Ban and unban decisions the database did not record (disk full, read-only...), with the reason: they are in force
   * now but would not survive a restart, so a caller must not acknowledge them. Empty when everything was stored.
   */
  notStored: Map<BanDecision | UnbanDecision, string>;
}

/** Runs `fn`; a throw is logged and audited, and its message returned (null when `fn` succeeded). */
function guard(sinks: DecisionSinks, what: string, fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    const detail = (err as Error).message;
    sinks.log.error(`${what} failed: ${detail}`);
    try {
      sinks.audit.failure(what, detail);
    } catch {
      /* the audit log reports its own failures */
    }
    return detail;
  }
}

/**
 * Applies a batch of decisions with one firewall commit.
 * @example await applyDecisions(engine.tick(nowSec), sinks);
 */
export async function applyDecisions(decisions: Decision[], sinks: DecisionSinks): Promise<ApplyResult> {
  const result: ApplyResult = { bans: 0, unbans: 0, alerts: 0, ruleAlerts: 0, firewall: null, notStored: new Map() };
  if (decisions.length === 0) return result;

  // 1. The firewall, in one batch.
  let queued = false;
  for (const d of decisions) {
    if (d.kind === 'ban') {
      sinks.firewall.add([{ ip: d.ip, until: d.until }]);
      queued = true;
    } else if (d.kind === 'unban') {
      sinks.firewall.remove([d.ip]);
      queued = true;
    }
  }
  if (queued) {
    try {
      result.firewall = await sinks.firewall.commit();
      for (const f of result.firewall.failed) {
        sinks.log.error(`firewall ${f.op} ${f.ip} failed: ${f.error}`);
        guard(sinks, 'audit', () => sinks.audit.failure(`firewall ${f.op} ${f.ip}`, f.error));
      }
    } catch (err) {
      guard(sinks, 'audit', () => sinks.audit.failure('firewall commit', (err as Error).message));
      sinks.log.error(`firewall commit failed: ${(err as Error).message}`);
    }
  }

  // 2. Records, audit lines and alerts, one decision at a time so one failure does not stop the others (each is
  // guarded); all the database writes of the batch in one transaction (a bulk load or a botnet wave is one commit).
  const record = () => {
    for (const d of decisions) {
      switch (d.kind) {
        case 'ban':
          result.bans++;
          {
            const failed = guard(sinks, `store ban ${d.ip}`, () => {
              sinks.store.insertBan(d, { dryRun: sinks.dryRun });
              sinks.store.recordOffence(d.ip, d.step, d.at);
            });
            if (failed !== null) result.notStored.set(d, failed);
          }
          guard(sinks, 'audit', () => sinks.audit.ban(d));
          guard(sinks, 'alert', () => sinks.notify(d));
          sinks.log.info(`${sinks.dryRun ? '[dry-run] would ban' : 'banned'} ${d.ip} (${d.rule}, rate ${d.rate.toFixed(2)}/s, step ${d.step})`);
          break;
        case 'unban':
          result.unbans++;
          {
            const failed = guard(sinks, `store unban ${d.ip}`, () => sinks.store.endBan(d.ip, d.at, d.reason));
            if (failed !== null) result.notStored.set(d, failed);
          }
          guard(sinks, 'audit', () => sinks.audit.unban(d));
          guard(sinks, 'alert', () => sinks.notify(d));
          sinks.log.info(`${sinks.dryRun ? '[dry-run] would unban' : 'unbanned'} ${d.ip} (${d.reason})`);
          break;
        case 'global_alert':
          result.alerts++;
          guard(sinks, 'audit', () => sinks.audit.globalAlert(d));
          guard(sinks, 'alert', () => sinks.notify(d));
          sinks.log.warn(`global surge: ${d.rate.toFixed(2)} req/s against baseline ${d.baseline.mean.toFixed(2)} (${d.rule})`);
          break;
        case 'spared':
          guard(sinks, 'audit', () => sinks.audit.spared(d));
          sinks.log.warn(`not banning ${d.ip} (${d.rule}, rate ${d.rate.toFixed(2)}/s): it holds an allow-listed address`);
          break;
        case 'rule_alert':
          // A rule in mode alert (or learning): stored, audited and alerted, never enforced nor recorded as a ban.
          result.ruleAlerts++;
          guard(sinks, `store rule alert ${d.ip}`, () => sinks.store.insertRuleAlert(d));
          guard(sinks, 'audit', () => sinks.audit.ruleAlert(d));
          guard(sinks, 'alert', () => sinks.notify(d));
          sinks.log.warn(`${d.rule} (mode alert) fired for ${d.ip}: value ${d.value.toFixed(2)} over ${d.threshold}, not banned`);
          break;
        case 'baseline':
          // The per-minute database row is written by the scheduler's snapshot job; a recomputation is audited.
          guard(sinks, 'audit', () => sinks.audit.baseline(d));
          break;
      }
    }
  };
  try {
    sinks.store.transaction(record);
  } catch (err) {
    // A failed commit (disk full...) leaves the firewall applied and records nothing of the batch; say so and go on.
    const detail = guard(sinks, 'store batch', () => { throw err; }) ?? 'the database commit failed';
    for (const d of decisions) if ((d.kind === 'ban' || d.kind === 'unban') && !result.notStored.has(d)) result.notStored.set(d, detail);
  }
  return result;
}
