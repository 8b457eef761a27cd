// The dashboard's fleet panel (docs/fleet.md): this node's link and every node of the fleet with its role, when it
// was last seen, its decision lag and request rate. Hidden on a single host. Text only through textContent.

import type { FleetStatusView } from '../enforcer/api/types.js';

function cell(text: string, cls?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

const ms = (n: number | null) => (n === null || !Number.isFinite(n) ? '—' : n >= 10_000 ? `${(n / 1000).toFixed(0)} s` : `${Math.round(n)} ms`);

/**
 * Shows or hides the fleet panel and fills it.
 * @example renderFleet(status.fleet)
 */
export function renderFleet(f: FleetStatusView | undefined): void {
  const panel = document.getElementById('fleet-panel');
  if (!panel) return;
  panel.hidden = !f;
  if (!f) return;
  const pill = document.getElementById('fleet-pill')!;
  pill.textContent = f.connected ? `fleet · ${f.node} · ${f.role}` : `fleet unreachable · ${f.node} detecting alone`;
  pill.className = `pill ${f.connected ? 'ok' : 'bad'}`;
  pill.hidden = false;
  const sum = document.getElementById('fleet-summary')!;
  sum.textContent = `${f.url} · this node ${f.node} (${f.role}) · lag p99 ${ms(f.lagP99Ms)} · clock offset ${f.clockOffsetMs} ms` +
    `${f.queued ? ` · ${f.queued} queued` : ''}${f.refused ? ` · ${f.refused} refused` : ''}` +
    `${f.fleetRate !== null ? ` · fleet ${f.fleetRate.toFixed(1)} req/s` : ''}`;
  const tbody = document.querySelector('#fleet-table tbody')!;
  tbody.replaceChildren();
  for (const row of f.nodes.map((n) => {
    const tr = document.createElement('tr');
    tr.dataset.node = n.node;
    if (n.stale) tr.className = 'stale';
    tr.append(cell(n.node + (n.node === f.node ? ' (this)' : ''), 'mono'), cell(n.stale ? `${n.role} (stale)` : n.role, `tag role-${n.role}`),
      cell(Number.isFinite(n.lastSeenMs) ? `${(n.lastSeenMs / 1000).toFixed(1)} s ago` : 'never'), cell(ms(n.lagMs)),
      cell(n.rate.toFixed(1)), cell(String(n.bans)), cell(String(n.queued)));
    return tr;
  })) tbody.append(row);
}
