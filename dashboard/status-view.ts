// The live status: figures, pills, active bans and top clients, refreshed every poll.
import type { StatusResponse } from '../enforcer/api/types.js';
import { ban, unban } from './actions.js';
import { api } from './api.js';
import { $, button, el, fragment, keyCell, setText } from './dom.js';
import { drawRateChart, pushPoint, setZscore } from './charts.js';
import { fmtBytes, fmtDur, fmtRate } from './format.js';
import { renderRules } from './rules-view.js';
import { renderAlertRules } from './rule-alerts.js';
import { renderFleet } from './fleet-nodes.js';

type Status = StatusResponse;

function renderBans(s: Status): void {
  const tbody = $('bans-table').querySelector('tbody')!;
  const rows = s.activeBans.slice().sort((a, b) => b.since - a.since).slice(0, 200);
  tbody.replaceChildren(fragment(rows.map((b) => {
    const tr = el('tr');
    tr.dataset.ip = b.ip;
    tr.append(keyCell(b.ip), el('td', b.rule, `tag tag-${b.rule}`), el('td', fmtRate(b.rate)), el('td', String(b.step)),
      el('td', b.until === null ? 'permanent' : fmtDur(b.until - s.now)));
    const td = el('td');
    td.append(button('Unban', 'small danger', () => void unban(b.ip)));
    tr.append(td);
    return tr;
  })));
  $('bans-empty').hidden = rows.length > 0;
  setText('bans-note', s.activeBanCount > rows.length ? `newest ${rows.length} of ${s.activeBanCount}` : '');
}

function renderTop(s: Status): void {
  const tbody = $('top-table').querySelector('tbody')!;
  const banned = new Set(s.activeBans.map((b) => b.ip));
  tbody.replaceChildren(fragment(s.topIps.map((t) => {
    const tr = el('tr');
    tr.append(keyCell(t.ip), el('td', fmtRate(t.rate)), el('td', fmtRate(t.errorRate)));
    const td = el('td');
    if (banned.has(t.ip)) td.append(el('span', 'banned', 'tag'));
    else td.append(button('Ban', 'small', () => void ban(t.ip, '1h', 'banned from the dashboard (top IPs)')));
    tr.append(td);
    return tr;
  })));
  $('top-empty').hidden = s.topIps.length > 0;
}

function render(s: Status): void {
  setZscore(s.thresholds.zscore);
  setText('global-rate', `${fmtRate(s.globalRate)} req/s`);
  setText('error-rate', `${fmtRate(s.globalErrorRate)} errors/s`);
  setText('baseline-mean', `${fmtRate(s.baseline.mean)} ± ${fmtRate(s.baseline.stddev)}`);
  const src = s.baseline.source === 'hour_slot' ? `hour slot ${s.baseline.hour ?? ''}h UTC` : s.baseline.source;
  setText('baseline-src', `${src} · ${s.baseline.samples} samples`);
  // No rate rule in mode ban (all in mode alert or off): the engine's rate is Infinity, which JSON carries as null.
  const banRate = s.banRate as number | null;
  setText('ban-rate', banRate === null || !Number.isFinite(banRate) ? 'none' : `${fmtRate(banRate)} req/s`);
  setText('thresholds', `z > ${s.thresholds.zscore} or ×${s.thresholds.multiplier} mean${s.thresholds.maxIpRate > 0 ? ` or > ${s.thresholds.maxIpRate} req/s` : ''}`);
  setText('ban-count', String(s.activeBanCount));
  setText('active-ips', `${s.activeIps} active IPs`);
  setText('host-cpu', `${s.host.cpuPct.toFixed(0)}% CPU`);
  setText('host-mem', `${fmtBytes(s.host.memUsed)} / ${fmtBytes(s.host.memTotal)} · load ${s.host.load1.toFixed(2)}`);
  setText('proc-cpu', `${s.process.cpuPct.toFixed(1)}% CPU`);
  setText('proc-mem', `${fmtBytes(s.process.rss)} RSS · ${fmtBytes(s.process.heapUsed)} heap`);
  setText('uptime', fmtDur(s.uptimeSec));
  // Requests from a trusted proxy's own address (X-Forwarded-For missing or unparseable): counted, under no client.
  const unattributed = s.unattributed?.total ?? 0;
  setText('dropped', `${s.dropped.total} uncounted requests` + (unattributed > 0 ? `, ${unattributed} from a proxy with no client` : '') +
    (s.unattributed?.blind ? ` (BLIND: ${Math.round(s.unattributed.share * 100)}% of the last minute's requests had no client: ` +
      'check the proxy\'s X-Forwarded-For and set_real_ip_from)' : ''));
  const pill = $('nginx-pill');
  pill.textContent = s.nginx.reachable ? 'nginx reachable' : `nginx unreachable${s.nginx.lastError ? `: ${s.nginx.lastError}` : ''}`;
  pill.className = `pill ${s.nginx.reachable ? 'ok' : 'bad'}`;
  // The database failing (disk full...): new bans are refused with 503 until it takes writes again.
  const db = $('storage-pill');
  db.hidden = s.storage.ok;
  db.textContent = s.storage.ok ? '' : `database not writable: ${s.storage.lastError ?? ''} (new bans are refused)`;
  const mode = $('mode-pill');
  mode.textContent = s.dryRun ? 'dry run' : `enforcing · ${s.backends.join(', ') || 'no backend'}`;
  mode.className = `pill ${s.dryRun ? 'warn' : 'neutral'}`;
  setText('updated', new Date().toLocaleTimeString());
  renderBans(s);
  renderTop(s);
  renderRules(s.rules, s.banRules);
  renderAlertRules(s.banRules);
  renderFleet(s.fleet);
  pushPoint(s.now, s.globalRate, s.baseline.mean, s.baseline.stddev);
  drawRateChart();
}

/** Polls the status once and renders it. */
export async function refresh(): Promise<void> {
  try {
    render(await api<Status>('GET', '/api/v1/status'));
  } catch (err) {
    setText('updated', `failed: ${(err as Error).message}`);
  }
}
