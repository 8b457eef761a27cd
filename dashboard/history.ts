// Ban history: the filter form, paging, and the CSV link.
import type { HistoryRow } from '../enforcer/api/types.js';
import { api } from './api.js';
import { $, banner, el, fragment, keyCell, setText } from './dom.js';
import { fmtRate, fmtTime } from './format.js';

const PAGE = 50;
let historyOffset = 0;
function historyQuery(): URLSearchParams {
  const f = new FormData($<HTMLFormElement>('history-form'));
  const q = new URLSearchParams();
  for (const k of ['ip', 'rule', 'source', 'active', 'sort']) {
    const v = String(f.get(k) ?? '').trim();
    if (v) q.set(k, v);
  }
  return q;
}

/** Loads the current page of history. */
export async function loadHistory(): Promise<void> {
  const q = historyQuery();
  $<HTMLAnchorElement>('csv-link').href = `/api/v1/history.csv?${q}`;
  q.set('limit', String(PAGE));
  q.set('offset', String(historyOffset));
  try {
    const h = await api<{ rows: HistoryRow[]; total: number }>('GET', `/api/v1/history?${q}`);
    $('history-table').querySelector('tbody')!.replaceChildren(fragment(h.rows.map((r) => {
      const tr = el('tr');
      tr.append(el('td', fmtTime(r.started_at)), keyCell(r.ip), el('td', r.rule, `tag tag-${r.rule}`), el('td', r.source),
        el('td', fmtRate(r.rate)), el('td', r.z.toFixed(1)), el('td', String(r.step)),
        el('td', r.ended_at === null ? 'active' : `${fmtTime(r.ended_at)} (${r.unban_reason ?? ''})`),
        el('td', r.reason ?? '', 'reason'), el('td', r.node ?? '', 'mono'));
      return tr;
    })));
    const end = Math.min(h.total, historyOffset + h.rows.length);
    setText('history-total', h.total ? `${historyOffset + 1}–${end} of ${h.total}` : 'no bans match');
    $<HTMLButtonElement>('prev-page').disabled = historyOffset === 0;
    $<HTMLButtonElement>('next-page').disabled = end >= h.total;
  } catch (err) {
    banner(`history: ${(err as Error).message}`);
  }
}

/** Wires the filter form and the paging buttons. */
export function initHistory(): void {
  $('history-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    historyOffset = 0;
    void loadHistory();
  });
  $('prev-page').addEventListener('click', () => { historyOffset = Math.max(0, historyOffset - PAGE); void loadHistory(); });
  $('next-page').addEventListener('click', () => { historyOffset += PAGE; void loadHistory(); });
}
