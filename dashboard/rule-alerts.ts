// Rule alerts: what rules in mode alert (and relative rules while learning) would have banned, filtered by rule and
// client; the rule choices come from the registry (status.banRules).
import type { RuleAlertsResponse } from '../enforcer/api/types.js';
import { api } from './api.js';
import { $, banner, el, fragment, keyCell, setText } from './dom.js';
import { fmtRate, fmtTime } from './format.js';

/** Fills the rule filter with the rules an alert can name (every ban rule but `manual`); keeps the choice. */
export function renderAlertRules(banRules: string[]): void {
  const select = $<HTMLSelectElement>('alerts-rule');
  const names = banRules.filter((r) => r !== 'manual');
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join() === names.join()) return;
  const chosen = select.value;
  const any = el('option', 'any rule');
  any.value = '';
  select.replaceChildren(any, fragment(names.map((n) => el('option', n))));
  if (names.includes(chosen)) select.value = chosen;
}

/** A rule's figure: whole numbers as they are, others with 2 decimals. */
const fig = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Loads the newest 50 rule alerts matching the filter. */
export async function loadAlerts(): Promise<void> {
  const f = new FormData($<HTMLFormElement>('alerts-form'));
  const q = new URLSearchParams({ limit: '50' });
  for (const k of ['rule', 'ip']) {
    const v = String(f.get(k) ?? '').trim();
    if (v) q.set(k, v);
  }
  try {
    const r = await api<RuleAlertsResponse>('GET', `/api/v1/alerts?${q}`);
    $('alerts-table').querySelector('tbody')!.replaceChildren(fragment(r.rows.map((a) => {
      const tr = el('tr');
      tr.dataset.rule = a.rule;
      tr.append(el('td', fmtTime(a.at)), el('td', a.rule, `tag tag-${a.rule}`), keyCell(a.ip), el('td', fig(a.value)),
        el('td', fig(a.threshold)), el('td', `${fmtRate(a.rate)} req/s`),
        el('td', a.cause === 'learning' ? 'learning period' : 'mode alert', `cause-${a.cause}`));
      return tr;
    })));
    $('alerts-empty').hidden = r.rows.length > 0;
    setText('alerts-total', r.total > r.rows.length ? `newest ${r.rows.length} of ${r.total}` : `${r.total} alert(s)`);
  } catch (err) {
    banner(`rule alerts: ${(err as Error).message}`);
  }
}

/** Wires the filter form. */
export function initAlerts(): void {
  $('alerts-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadAlerts();
  });
}
