// The allow-list in force: built-in and config-file entries (read-only) and runtime ones (removable), and the add form.
import type { AllowListResponse } from '../enforcer/api/types.js';
import { allow, disallow } from './actions.js';
import { api } from './api.js';
import { $, banner, button, el, fragment } from './dom.js';
import { fmtTime } from './format.js';

/** Loads and draws the allow-list. */
export async function loadAllow(): Promise<void> {
  try {
    const r = await api<AllowListResponse>('GET', '/api/v1/allow');
    $('allow-table').querySelector('tbody')!.replaceChildren(fragment(r.entries.map((e) => {
      const tr = el('tr');
      tr.dataset.cidr = e.cidr;
      tr.append(el('td', e.cidr, 'mono'), el('td', e.source === 'api' ? 'runtime' : e.source), el('td', e.note, 'reason'),
        el('td', e.created_at ? fmtTime(e.created_at) : ''));
      const td = el('td');
      if (e.source === 'api') td.append(button('Remove', 'small danger', () => void disallow(e.cidr)));
      tr.append(td);
      return tr;
    })));
  } catch (err) {
    banner(`allow-list: ${(err as Error).message}`);
  }
}

/** Wires the add form. */
export function initAllow(): void {
  $('allow-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const cidr = $<HTMLInputElement>('allow-cidr');
    const note = $<HTMLInputElement>('allow-note');
    void allow(cidr.value.trim(), note.value.trim() || 'added from the dashboard');
    cidr.value = '';
    note.value = '';
  });
}
