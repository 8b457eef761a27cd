// The alert bodies: a Slack incoming-webhook message (text + blocks) and a generic JSON webhook object.
import type { BanDecision, UnbanDecision, GlobalAlertDecision, RuleAlertDecision } from '../../core/types.js';
import { formatDuration } from '../../config/duration.js';
import { condition, num2, sourceLabel, isoSec } from './describe.js';

/** The decisions that can be alerted on. */
export type AlertDecision = BanDecision | UnbanDecision | GlobalAlertDecision | RuleAlertDecision;

/**
 * Escapes Slack mrkdwn control characters (&, <, >) so user text cannot inject links or mentions.
 * @example slackEscape('<!channel> & co') === '&lt;!channel&gt; &amp; co'
 */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The generic webhook's JSON object. */
export interface WebhookPayload {
  event: AlertDecision['kind'];
  time: string;
  ip: string | null;
  rule: string | null;
  /** The threshold in force for `rule`, when known. */
  threshold: number | null;
  rate: number | null;
  error_rate: number | null;
  z: number | null;
  baseline: { mean: number; stddev: number; source: string } | null;
  duration_sec: number | null;
  step: number | null;
  source: 'auto' | 'manual' | null;
  reason: string | null;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * The generic webhook body for a decision.
 * @example webhookPayload(ban) // { event: 'ban', time: '2026-01-01T12:00:00Z', ip: '203.0.113.9', rule: 'zscore', ... }
 */
export function webhookPayload(d: AlertDecision): WebhookPayload {
  const base: WebhookPayload = {
    event: d.kind, time: isoSec(d.at), ip: null, rule: null, threshold: null, rate: null, error_rate: null, z: null,
    baseline: null, duration_sec: null, step: null, source: null, reason: null,
  };
  const bl = (b: BanDecision['baseline']) => ({ mean: b.mean, stddev: b.stddev, source: sourceLabel(b) });
  switch (d.kind) {
    case 'ban':
      return {
        ...base, ip: d.ip, rule: d.rule, threshold: d.threshold ?? null, rate: d.rate, error_rate: d.errorRate, z: finite(d.z),
        baseline: bl(d.baseline), duration_sec: d.durationSec, step: d.step, source: d.source, reason: d.reason ?? null,
      };
    case 'rule_alert':
      return {
        ...base, ip: d.ip, rule: d.rule, threshold: d.threshold, rate: d.rate, error_rate: d.errorRate, z: finite(d.z),
        baseline: bl(d.baseline),
      };
    case 'unban':
      return { ...base, ip: d.ip, reason: d.reason };
    case 'global_alert':
      return { ...base, rule: d.rule, threshold: d.threshold ?? null, rate: d.rate, z: finite(d.z), baseline: bl(d.baseline) };
  }
}

/** A Slack incoming-webhook message. */
export interface SlackPayload {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const md = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string, fields?: string[]) =>
  fields ? { type: 'section', text: md(text), fields: fields.map(md) } : { type: 'section', text: md(text) };

/**
 * The Slack message for a decision: `text` for notifications, `blocks` with the condition, rate, baseline, time,
 * duration and ladder step. User text (manual reasons) is escaped.
 * @example slackPayload(ban).text === 'Banned 203.0.113.9 for 10m: zscore=7.21>3.0'
 */
export function slackPayload(d: AlertDecision): SlackPayload {
  const time = isoSec(d.at);
  const baseline = (b: BanDecision['baseline']) =>
    `*Baseline:* mean ${num2(b.mean)} req/s, stddev ${num2(b.stddev)} (${sourceLabel(b)}, ${b.samples} samples)`;
  switch (d.kind) {
    case 'ban': {
      const ip = slackEscape(d.ip);
      const dur = formatDuration(d.durationSec);
      const manual = d.source === 'manual' || d.rule === 'manual';
      const cond = manual ? 'manual ban' : condition(d);
      const fields = [
        `*Condition:* ${slackEscape(cond)}`,
        `*Rate:* ${num2(d.rate)} req/s (errors ${num2(d.errorRate)}/s)`,
        baseline(d.baseline),
        `*Time:* ${time}`,
        `*Duration:* ${dur}`,
        `*Ladder step:* ${d.step}`,
      ];
      if (manual && d.reason) fields.push(`*Reason:* ${slackEscape(d.reason.slice(0, 500))}`);
      return {
        text: `Banned ${ip} for ${dur}: ${slackEscape(cond)}`,
        blocks: [section(`:no_entry: *Banned* \`${ip}\` for *${dur}*`, fields)],
      };
    }
    case 'rule_alert': {
      const ip = slackEscape(d.ip);
      const cond = slackEscape(condition(d));
      return {
        text: `Alert on ${ip} (rule ${slackEscape(d.rule)} in mode alert, not banned): ${cond}`,
        blocks: [section(`:mag: *Alert* \`${ip}\` (rule in mode alert: decided, not banned)`, [
          `*Condition:* ${cond}`,
          `*Rate:* ${num2(d.rate)} req/s (errors ${num2(d.errorRate)}/s)`,
          baseline(d.baseline),
          `*Time:* ${time}`,
        ])],
      };
    }
    case 'unban': {
      const ip = slackEscape(d.ip);
      return {
        text: `Unbanned ${ip} (${d.reason})`,
        blocks: [section(`:white_check_mark: *Unbanned* \`${ip}\``, [`*Reason:* ${d.reason}`, `*Time:* ${time}`])],
      };
    }
    case 'global_alert': {
      const cond = condition(d);
      return {
        text: `Global traffic surge: ${num2(d.rate)} req/s (${slackEscape(cond)})`,
        blocks: [section(':warning: *Global traffic surge* (alert only, nobody banned)', [
          `*Condition:* ${slackEscape(cond)}`,
          `*Rate:* ${num2(d.rate)} req/s`,
          baseline(d.baseline),
          `*Time:* ${time}`,
        ])],
      };
    }
  }
}
