// The dashboard's browser code: login form, live status polling, charts (uPlot), bans, top IPs and history.
// Everything user-supplied goes through textContent; no innerHTML with data.
import uPlot from 'uplot';
import { renderFleet, type FleetStatus } from './fleet-nodes.js';

interface Baseline { mean: number; stddev: number; source: string; hour?: number; samples: number }
interface Ban { ip: string; since: number; until: number | null; step: number; rule: string; rate: number; source: string }
interface Status {
  now: number; globalRate: number; globalErrorRate: number; baseline: Baseline;
  thresholds: { zscore: number; multiplier: number; maxIpRate: number; errorSurge: number; tightenFactor: number };
  banRate: number; topIps: Array<{ ip: string; rate: number; errorRate: number }>; activeIps: number; activeBans: Ban[]; activeBanCount: number;
  uptimeSec: number; host: { cpuPct: number; memUsed: number; memTotal: number; load1: number };
  process: { cpuPct: number; rss: number; heapUsed: number };
  nginx: { reachable: boolean; lastPollAt: number | null; lastError: string | null };
  dropped: { total: number; lastPoll: number }; dryRun: boolean; backends: string[];
  fleet?: FleetStatus;
}
interface HistoryRow {
  id: number; ip: string; started_at: number; planned_end: number | null; ended_at: number | null; step: number; rule: string;
  rate: number; z: number; source: string; reason: string | null; unban_reason: string | null; node?: string | null;
}

const POLL_MS = 2000;
const PAGE = 50;
let csrf = sessionStorage.getItem('warden-csrf') ?? '';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
function setText(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}
function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const fmtRate = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n >= 10 || i === 0 ? 0 : 1)} ${u[i]}`;
}
function fmtDur(sec: number): string {
  sec = Math.max(0, Math.round(sec));
  const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
const fmtTime = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);

class HttpError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-warden-csrf'] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => ({})) as { error?: string };
  if (res.status === 401 && !path.endsWith('/login')) {
    location.reload();
  }
  if (!res.ok) throw new HttpError(res.status, data.error ?? `HTTP ${res.status}`);
  return data as T;
}

let bannerTimer = 0;
function banner(msg: string, kind: 'ok' | 'error' = 'error'): void {
  const b = $('banner');
  b.textContent = msg;
  b.className = `banner ${kind}`;
  b.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = window.setTimeout(() => { b.hidden = true; }, 6000);
}

// ---------- login page ----------
function initLogin(form: HTMLFormElement): void {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pw = $<HTMLInputElement>('password').value;
    setText('login-error', '');
    try {
      const r = await api<{ csrf: string }>('POST', '/api/v1/login', { password: pw });
      sessionStorage.setItem('warden-csrf', r.csrf);
      location.reload();
    } catch (err) {
      setText('login-error', (err as Error).message);
    }
  });
}

// ---------- charts ----------
const HOUR = 3600;
const series: { t: number[]; rate: number[]; mean: number[]; upper: number[] } = { t: [], rate: [], mean: [], upper: [] };
let rateChart: uPlot | null = null;
let slotsChart: uPlot | null = null;
let zscore = 3;

function chartWidth(id: string): number {
  return Math.max(280, $(id).clientWidth - 8);
}

function pushPoint(t: number, rate: number, mean: number, stddev: number): void {
  const n = series.t.length;
  if (n && t <= series.t[n - 1]) return;
  series.t.push(t);
  series.rate.push(rate);
  series.mean.push(mean);
  series.upper.push(mean + zscore * stddev);
  const cutoff = t - HOUR;
  while (series.t.length && series.t[0] < cutoff) {
    series.t.shift(); series.rate.shift(); series.mean.shift(); series.upper.shift();
  }
}

function drawRateChart(): void {
  const data: uPlot.AlignedData = [series.t, series.rate, series.mean, series.upper];
  if (rateChart) { rateChart.setData(data); return; }
  rateChart = new uPlot({
    width: chartWidth('rate-chart'), height: 260,
    series: [
      {},
      { label: 'global req/s', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.08)', value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'baseline mean', stroke: '#16a34a', width: 1.5, value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'threshold (mean + z·σ)', stroke: '#dc2626', width: 1.5, dash: [6, 4], value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
    ],
    bands: [{ series: [3, 2], fill: 'rgba(220,38,38,0.07)' }],
    axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 50 }],
    scales: { x: { time: true } },
    legend: { live: true },
  }, data, $('rate-chart'));
}

function drawSlots(slots: Array<{ hour: number; mean: number; stddev: number; samples: number }>): void {
  const hours = slots.map((s) => s.hour);
  const data: uPlot.AlignedData = [hours, slots.map((s) => s.mean), slots.map((s) => s.mean + s.stddev)];
  if (slotsChart) { slotsChart.setData(data); return; }
  const bars = uPlot.paths.bars!({ size: [0.7, 40] });
  slotsChart = new uPlot({
    width: chartWidth('slots-chart'), height: 260,
    series: [
      { value: (_u, v) => (v == null ? '—' : `${String(v).padStart(2, '0')}:00 UTC`) },
      { label: 'mean req/s', stroke: '#7c3aed', fill: 'rgba(124,58,237,0.35)', paths: bars, points: { show: false },
        value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'mean + σ', stroke: '#a78bfa', width: 1, dash: [3, 3], points: { show: false }, value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
    ],
    scales: { x: { time: false, range: [-0.5, 23.5] } },
    axes: [
      { stroke: '#64748b', grid: { show: false }, splits: () => [0, 3, 6, 9, 12, 15, 18, 21], values: (_u, v) => v.map((h) => `${h}h`) },
      { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 50 },
    ],
    legend: { live: true },
  }, data, $('slots-chart'));
}

async function loadBaseline(): Promise<void> {
  try {
    const b = await api<{ minutes: Array<{ at: number; mean: number; stddev: number; global_rate: number }>;
      hourly: Array<{ hour: number; mean: number; stddev: number; samples: number }> }>('GET', '/api/v1/baseline');
    const latest = b.minutes.length ? b.minutes[b.minutes.length - 1].at : 0;
    for (const m of b.minutes) if (m.at >= latest - HOUR) pushPoint(m.at, m.global_rate, m.mean, m.stddev);
    drawSlots(b.hourly);
  } catch (err) {
    banner(`baseline: ${(err as Error).message}`);
  }
}

// ---------- status ----------
function button(text: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', text, cls);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

async function unban(ip: string): Promise<void> {
  try {
    await api('DELETE', `/api/v1/bans/${encodeURIComponent(ip)}`);
    banner(`Unbanned ${ip}`, 'ok');
    await refresh();
    await loadHistory();
  } catch (err) {
    banner((err as Error).message);
  }
}

async function ban(ip: string, duration: string, reason: string): Promise<void> {
  try {
    await api('POST', '/api/v1/bans', { ip, duration: duration || '1h', reason: reason || 'banned from the dashboard' });
    banner(`Banned ${ip}`, 'ok');
    await refresh();
    await loadHistory();
  } catch (err) {
    banner((err as Error).message);
  }
}

function renderBans(s: Status): void {
  const tbody = $('bans-table').querySelector('tbody')!;
  const rows = s.activeBans.slice().sort((a, b) => b.since - a.since).slice(0, 200);
  tbody.replaceChildren(...rows.map((b) => {
    const tr = el('tr');
    tr.dataset.ip = b.ip;
    tr.append(el('td', b.ip, 'mono'), el('td', b.rule, `tag tag-${b.rule}`), el('td', fmtRate(b.rate)), el('td', String(b.step)),
      el('td', b.until === null ? 'permanent' : fmtDur(b.until - s.now)));
    const td = el('td');
    td.append(button('Unban', 'small danger', () => void unban(b.ip)));
    tr.append(td);
    return tr;
  }));
  $('bans-empty').hidden = rows.length > 0;
  setText('bans-note', s.activeBanCount > rows.length ? `newest ${rows.length} of ${s.activeBanCount}` : '');
}

function renderTop(s: Status): void {
  const tbody = $('top-table').querySelector('tbody')!;
  const banned = new Set(s.activeBans.map((b) => b.ip));
  tbody.replaceChildren(...s.topIps.map((t) => {
    const tr = el('tr');
    tr.append(el('td', t.ip, 'mono'), el('td', fmtRate(t.rate)), el('td', fmtRate(t.errorRate)));
    const td = el('td');
    if (banned.has(t.ip)) td.append(el('span', 'banned', 'tag'));
    else td.append(button('Ban', 'small', () => void ban(t.ip, '1h', 'banned from the dashboard (top IPs)')));
    tr.append(td);
    return tr;
  }));
  $('top-empty').hidden = s.topIps.length > 0;
}

function render(s: Status): void {
  zscore = s.thresholds.zscore;
  setText('global-rate', `${fmtRate(s.globalRate)} req/s`);
  setText('error-rate', `${fmtRate(s.globalErrorRate)} errors/s`);
  setText('baseline-mean', `${fmtRate(s.baseline.mean)} ± ${fmtRate(s.baseline.stddev)}`);
  const src = s.baseline.source === 'hour_slot' ? `hour slot ${s.baseline.hour ?? ''}h UTC` : s.baseline.source;
  setText('baseline-src', `${src} · ${s.baseline.samples} samples`);
  setText('ban-rate', `${fmtRate(s.banRate)} req/s`);
  setText('thresholds', `z > ${s.thresholds.zscore} or ×${s.thresholds.multiplier} mean${s.thresholds.maxIpRate > 0 ? ` or > ${s.thresholds.maxIpRate} req/s` : ''}`);
  setText('ban-count', String(s.activeBanCount));
  setText('active-ips', `${s.activeIps} active IPs`);
  setText('host-cpu', `${s.host.cpuPct.toFixed(0)}% CPU`);
  setText('host-mem', `${fmtBytes(s.host.memUsed)} / ${fmtBytes(s.host.memTotal)} · load ${s.host.load1.toFixed(2)}`);
  setText('proc-cpu', `${s.process.cpuPct.toFixed(1)}% CPU`);
  setText('proc-mem', `${fmtBytes(s.process.rss)} RSS · ${fmtBytes(s.process.heapUsed)} heap`);
  setText('uptime', fmtDur(s.uptimeSec));
  setText('dropped', `${s.dropped.total} uncounted requests`);
  const pill = $('nginx-pill');
  pill.textContent = s.nginx.reachable ? 'nginx reachable' : `nginx unreachable${s.nginx.lastError ? `: ${s.nginx.lastError}` : ''}`;
  pill.className = `pill ${s.nginx.reachable ? 'ok' : 'bad'}`;
  const mode = $('mode-pill');
  mode.textContent = s.dryRun ? 'dry run' : `enforcing · ${s.backends.join(', ') || 'no backend'}`;
  mode.className = `pill ${s.dryRun ? 'warn' : 'neutral'}`;
  setText('updated', new Date().toLocaleTimeString());
  renderBans(s);
  renderTop(s);
  renderFleet(s.fleet);
  pushPoint(s.now, s.globalRate, s.baseline.mean, s.baseline.stddev);
  drawRateChart();
}

async function refresh(): Promise<void> {
  try {
    render(await api<Status>('GET', '/api/v1/status'));
  } catch (err) {
    setText('updated', `failed: ${(err as Error).message}`);
  }
}

// ---------- history ----------
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

async function loadHistory(): Promise<void> {
  const q = historyQuery();
  $<HTMLAnchorElement>('csv-link').href = `/api/v1/history.csv?${q}`;
  q.set('limit', String(PAGE));
  q.set('offset', String(historyOffset));
  try {
    const h = await api<{ rows: HistoryRow[]; total: number }>('GET', `/api/v1/history?${q}`);
    $('history-table').querySelector('tbody')!.replaceChildren(...h.rows.map((r) => {
      const tr = el('tr');
      tr.append(el('td', fmtTime(r.started_at)), el('td', r.ip, 'mono'), el('td', r.rule, `tag tag-${r.rule}`), el('td', r.source),
        el('td', fmtRate(r.rate)), el('td', r.z.toFixed(1)), el('td', String(r.step)),
        el('td', r.ended_at === null ? 'active' : `${fmtTime(r.ended_at)} (${r.unban_reason ?? ''})`),
        el('td', r.reason ?? '', 'reason'), el('td', r.node ?? '', 'mono'));
      return tr;
    }));
    const end = Math.min(h.total, historyOffset + h.rows.length);
    setText('history-total', h.total ? `${historyOffset + 1}–${end} of ${h.total}` : 'no bans match');
    $<HTMLButtonElement>('prev-page').disabled = historyOffset === 0;
    $<HTMLButtonElement>('next-page').disabled = end >= h.total;
  } catch (err) {
    banner(`history: ${(err as Error).message}`);
  }
}

async function initDashboard(): Promise<void> {
  if (!csrf) {
    try {
      csrf = (await api<{ csrf?: string }>('GET', '/api/v1/session')).csrf ?? '';
      sessionStorage.setItem('warden-csrf', csrf);
    } catch { /* 401 reloads */ }
  }
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/v1/logout').catch(() => undefined);
    sessionStorage.removeItem('warden-csrf');
    location.reload();
  });
  $('ban-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ip = $<HTMLInputElement>('ban-ip');
    void ban(ip.value.trim(), $<HTMLInputElement>('ban-duration').value.trim(), $<HTMLInputElement>('ban-reason').value);
    ip.value = '';
  });
  $('history-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    historyOffset = 0;
    void loadHistory();
  });
  $('prev-page').addEventListener('click', () => { historyOffset = Math.max(0, historyOffset - PAGE); void loadHistory(); });
  $('next-page').addEventListener('click', () => { historyOffset += PAGE; void loadHistory(); });
  window.addEventListener('resize', () => {
    rateChart?.setSize({ width: chartWidth('rate-chart'), height: 260 });
    slotsChart?.setSize({ width: chartWidth('slots-chart'), height: 260 });
  });
  await loadBaseline();
  await refresh();
  await loadHistory();
  setInterval(() => void refresh(), POLL_MS);
  setInterval(() => void loadBaseline(), 60_000);
}

const loginForm = document.getElementById('login-form') as HTMLFormElement | null;
if (loginForm) initLogin(loginForm);
else if (document.getElementById('dashboard')) void initDashboard();
