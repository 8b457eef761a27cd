// The rules legend and the history filter's rule choices, both from the rule registry the daemon serves (status.rules).
import type { RuleInfo } from '../enforcer/api/types.js';
import { $, el } from './dom.js';

let shown = '';

/** Draws the legend (every rule, its mode and settings in force) and the history rule choices; only when they changed. */
export function renderRules(rules: RuleInfo[]): void {
  const key = JSON.stringify(rules);
  if (key === shown) return;
  shown = key;
  $('rules-table').querySelector('tbody')!.replaceChildren(...rules.map((r) => {
    const tr = el('tr');
    tr.dataset.rule = r.name;
    const name = el('td');
    name.append(el('span', r.name, `tag tag-${r.name}`), el('div', r.title, 'muted'));
    tr.append(name, el('td', r.mode, `mode mode-${r.mode}`), el('td', r.summary), el('td', r.thresholds));
    return tr;
  }));
  // A ban carries a client rule's name or `manual`.
  const select = $<HTMLSelectElement>('history-rule');
  const chosen = select.value;
  const names = [...rules.filter((r) => r.scope === 'client').map((r) => r.name), 'manual'];
  const any = el('option', 'any rule');
  any.value = '';
  select.replaceChildren(any, ...names.map((n) => el('option', n)));
  if (names.includes(chosen)) select.value = chosen;
}
