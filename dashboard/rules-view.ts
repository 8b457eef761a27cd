// The rules legend and the history filter's rule choices, both from the rule registry the daemon serves (status.rules,
// status.banRules).
import type { RuleInfo } from '../enforcer/api/types.js';
import { $, el, fragment } from './dom.js';

let shown = '';

/** Draws the legend (every rule, its mode and settings in force) and the history rule choices; only when they changed. */
export function renderRules(rules: RuleInfo[], banRules: string[]): void {
  const key = JSON.stringify([rules, banRules]);
  if (key === shown) return;
  shown = key;
  $('rules-table').querySelector('tbody')!.replaceChildren(fragment(rules.map((r) => {
    const tr = el('tr');
    tr.dataset.rule = r.name;
    const name = el('td');
    name.append(el('span', r.name, `tag tag-${r.name}`), el('div', r.title, 'muted'));
    tr.append(name, el('td', r.mode, `mode mode-${r.mode}`), el('td', r.summary), el('td', r.thresholds));
    return tr;
  })));
  // A ban carries the name of a client or prefix rule, or `manual`: the registry's list, as the API validates it.
  const select = $<HTMLSelectElement>('history-rule');
  const chosen = select.value;
  const names = banRules;
  const any = el('option', 'any rule');
  any.value = '';
  select.replaceChildren(any, fragment(names.map((n) => el('option', n))));
  if (names.includes(chosen)) select.value = chosen;
}
