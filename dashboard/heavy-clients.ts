// The heaviest clients (by the last hour, the last 10 minutes or the rate now) with a one-click allow-list button.
import type { HeavyClient, HeavyClientsResponse } from '../enforcer/api/types.js';
import { allow } from './actions.js';
import { api } from './api.js';
import { $, button, el, fragment, keyCell } from './dom.js';
import { fmtRate } from './format.js';

let last: HeavyClientsResponse | null = null;

function render(): void {
  if (!last) return;
  const by = $<HTMLSelectElement>('heavy-by').value as 'byRate' | 'by10m' | 'by1h';
  const list: HeavyClient[] = last[by] ?? [];
  $('heavy-table').querySelector('tbody')!.replaceChildren(fragment(list.map((c) => {
    const tr = el('tr');
    tr.dataset.ip = c.ip;
    tr.append(keyCell(c.ip), el('td', fmtRate(c.rate)), el('td', fmtRate(c.rate10m)), el('td', fmtRate(c.rate1h)));
    const td = el('td');
    if (c.allowed) td.append(el('span', 'allowed', 'tag tag-allowed'));
    // Asked by name: the rows re-sort under the pointer, and the heaviest client is often the attacker.
    else {
      td.append(button('Allow', 'small', () => {
        if (confirm(`Allow-list ${c.ip}? It will never be judged or banned again, and its active ban is lifted now.`)) {
          void allow(c.ip, 'heavy client, allow-listed from the dashboard');
        }
      }));
    }
    tr.append(td);
    return tr;
  })));
  $('heavy-empty').hidden = list.length > 0;
}

/** Loads the heaviest clients and draws the list chosen. */
export async function loadHeavy(): Promise<void> {
  try {
    last = await api<HeavyClientsResponse>('GET', '/api/v1/clients/heavy?n=10');
    render();
  } catch { /* shown by the status poll */ }
}

/** Wires the "heaviest by" choice. */
export function initHeavy(): void {
  $('heavy-by').addEventListener('change', render);
}
