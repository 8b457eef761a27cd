// `warden demo attack` (npm run demo:attack): against the running demo, a few normal visitors at human rates plus a
// bounded flood from one TEST-NET address (203.0.113.x) through loopback with X-Forwarded-For; prints the flood's
// rate, when nginx started answering 403, and the ban as the API reports it. Bounded in time and count.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { isIP } from 'node:net';
import type { ActiveBan } from '../core/types.js';
import { loadDemoConfig } from './run-demo.js';
import { demoAlive, readState, type DemoState } from './state.js';

/** Options of runAttack. */
export interface AttackOptions {
  /** Flood duration, 1-60 s (default 15). */
  seconds?: number;
  /** Flood rate, 10-2000 requests/s (default 200). */
  rate?: number;
  /** Flooding address (default 203.0.113.66, or another 203.0.113.x when that one is banned already). */
  ip?: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The normal visitors (TEST-NET-2). */
export const VISITORS = ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14'];
const PAGES: Array<[string, string]> = [['GET', '/'], ['GET', '/about.html'], ['GET', '/style.css'], ['GET', '/api/time'],
  ['GET', '/api/products'], ['GET', '/login'], ['POST', '/login']];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request; resolves with the status, or 0 on a network error or timeout. */
function send(agent: Agent, url: string, method: string, xff: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method, timeout: 2000, headers: { 'x-forwarded-for': xff, 'content-length': '0' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

function count(into: Record<number, number>, status: number): void {
  into[status] = (into[status] ?? 0) + 1;
}

function showCounts(c: Record<number, number>): string {
  const parts = Object.entries(c).map(([s, n]) => `${s === '0' ? 'no answer' : s} x${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

function clock(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString().slice(11, 19);
}

/**
 * Runs the attack against the demo described by var/demo/state.json; returns 0 when the flooder was banned.
 * @example process.exitCode = await runAttack({ seconds: 15, out: console.log, err: console.error });
 */
export async function runAttack(o: AttackOptions): Promise<number> {
  const seconds = o.seconds ?? 15;
  const rate = o.rate ?? 200;
  if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60)) {
    o.err(`warden demo attack: \`--seconds\` must be a whole number from 1 to 60, got \`${seconds}\``);
    return 2;
  }
  if (!(Number.isInteger(rate) && rate >= 10 && rate <= 2000)) {
    o.err(`warden demo attack: \`--rate\` must be a whole number from 10 to 2000, got \`${rate}\``);
    return 2;
  }
  if (o.ip !== undefined && isIP(o.ip) === 0) {
    o.err(`warden demo attack: \`--ip\` must be an IPv4 or IPv6 address (e.g. 203.0.113.66), got \`${o.ip}\``);
    return 2;
  }
  const { varDir } = loadDemoConfig();
  const s: DemoState | null = readState(varDir);
  if (!s || !demoAlive(s)) {
    o.err('warden demo attack: no demo is running: start it with `npm start` (or `warden demo`) in another terminal first');
    return 1;
  }
  if (!s.dashboardUrl) {
    o.err('warden demo attack: the demo is still starting; try again in a few seconds');
    return 1;
  }
  const apiBase = s.dashboardUrl.replace(/\/+$/, '');
  let token: string;
  try {
    token = readFileSync(s.tokenPath, 'utf8').trim();
  } catch (e) {
    o.err(`warden demo attack: cannot read the daemon's CLI token ${s.tokenPath}: ${(e as Error).message}`);
    return 1;
  }
  const bans = async (): Promise<ActiveBan[]> => {
    const r = await fetch(`${apiBase}/api/v1/bans`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3000) });
    if (!r.ok) throw new Error(`GET /api/v1/bans: HTTP ${r.status}`);
    return ((await r.json()) as { bans: ActiveBan[] }).bans;
  };
  let active: ActiveBan[];
  try {
    active = await bans();
  } catch (e) {
    o.err(`warden demo attack: the demo's API does not answer at ${apiBase}: ${(e as Error).message}`);
    return 1;
  }
  const bannedNow = new Set(active.map((b) => b.ip));
  let flooder = o.ip ?? '203.0.113.66';
  if (bannedNow.has(flooder)) {
    if (o.ip) {
      o.err(`warden demo attack: ${flooder} is banned already; wait until its ban runs out or pick another --ip`);
      return 1;
    }
    const free = Array.from({ length: 200 }, (_, i) => `203.0.113.${i + 20}`).filter((a) => !bannedNow.has(a));
    flooder = free[Math.floor(Math.random() * free.length)];
    o.out(`203.0.113.66 is still banned from an earlier attack; flooding from ${flooder} instead`);
  }

  const site = s.siteUrl.replace(/\/+$/, '');
  // A fleet demo (`warden demo --fleet N`): the flood goes round the nodes, so each one alone sees 1/N of it.
  const sites = (s.fleetSites?.length ? s.fleetSites : [s.siteUrl]).map((u) => u.replace(/\/+$/, ''));
  const first403At = new Map<string, number>();
  if (sites.length > 1) o.out(`fleet demo: the flood is spread over ${sites.length} nodes (${sites.join(', ')})`);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  // Normal visitors: one request every 0.7-2 s each, pages, the API and a failed login now and then.
  const seen: Record<number, number> = {};
  let visiting = true;
  const visitors = VISITORS.map(async (ip) => {
    while (visiting) {
      const [method, path] = PAGES[Math.floor(Math.random() * PAGES.length)];
      count(seen, await send(agent, site + path, method, ip));
      await sleep(700 + Math.random() * 1300);
    }
  });
  o.out(`normal visitors: ${VISITORS.join(', ')} (about one request a second each) on ${s.siteUrl}`);
  await sleep(3000);

  // The flood: `rate` requests a second for `seconds`, at most rate * seconds requests, 8 connections.
  const max = rate * seconds;
  o.out(`flood: ${flooder} (X-Forwarded-For through loopback), ${rate} requests/s for ${seconds} s (at most ${max} requests)`);
  const flood: Record<number, number> = {};
  let sent = 0;
  let first403: { atMs: number; n: number } | null = null;
  let banSeen: { atMs: number; ban: ActiveBan } | null = null;
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const due = t0 + (i * 1000) / rate;
      if (i >= max || due >= deadline) return;
      if (due > Date.now()) await sleep(due - Date.now());
      const target = sites[i % sites.length];
      const st = await send(agent, `${target}/`, 'GET', flooder);
      sent++;
      count(flood, st);
      if (st === 403 && !first403) first403 = { atMs: Date.now() - t0, n: sent };
      if (st === 403 && !first403At.has(target)) first403At.set(target, Date.now() - t0);
    }
  };
  const watcher = (async () => {
    while (Date.now() < deadline && !banSeen) {
      try {
        const b = (await bans()).find((x) => x.ip === flooder);
        if (b) banSeen = { atMs: Date.now() - t0, ban: b };
      } catch {
        /* the summary below asks again */
      }
      await sleep(250);
    }
  })();
  const progress = setInterval(() => {
    o.out(`  ${((Date.now() - t0) / 1000).toFixed(0).padStart(2)} s: ${sent} sent; ${showCounts(flood)}`);
  }, 1000);
  await Promise.all([...Array.from({ length: 8 }, worker), watcher]);
  clearInterval(progress);
  const floodSec = (Date.now() - t0) / 1000;
  await sleep(2000);
  visiting = false;
  await Promise.all(visitors);
  agent.destroy();

  o.out('');
  o.out(`flood: ${sent} requests in ${floodSec.toFixed(1)} s (${(sent / floodSec).toFixed(0)} requests/s): ${showCounts(flood)}`);
  const f403 = first403 as { atMs: number; n: number } | null;
  o.out(f403 ? `nginx answered 403 from ${(f403.atMs / 1000).toFixed(1)} s into the flood (request ${f403.n})`
    : 'nginx never answered 403 to the flooder');
  if (sites.length > 1) {
    for (const u of sites) {
      const at = first403At.get(u);
      o.out(`  ${u}: ${at === undefined ? 'never answered 403' : `403 from ${(at / 1000).toFixed(1)} s`}`);
    }
  }
  let ban: ActiveBan | undefined;
  try {
    ban = (await bans()).find((x) => x.ip === flooder);
  } catch (e) {
    o.err(`warden demo attack: asking the API for bans failed: ${(e as Error).message}`);
  }
  const bs = banSeen as { atMs: number; ban: ActiveBan } | null;
  if (ban) {
    const left = ban.until === null ? 'permanent' : `until ${clock(ban.until)} UTC (${Math.max(0, Math.round(ban.until - Date.now() / 1000))} s left)`;
    o.out(`ban (GET /api/v1/bans): ${ban.ip}, rule ${ban.rule}, rate ${ban.rate.toFixed(1)}/s over the window, ` +
      `offence ${ban.step}, ${left}${bs ? `; seen by the API ${(bs.atMs / 1000).toFixed(1)} s into the flood` : ''}`);
  } else {
    o.out(`no active ban for ${flooder} in GET /api/v1/bans`);
  }
  const refused = seen[403] ?? 0;
  const total = Object.values(seen).reduce((a, b) => a + b, 0);
  o.out(`normal visitors: ${total} requests: ${showCounts(seen)}${refused ? ` (WARNING: ${refused} refused)` : ', none refused'}`);
  if (!ban) {
    o.err('warden demo attack: the flooder was not banned: is the demo daemon polling nginx? See the demo\'s terminal');
    return 1;
  }
  o.out('');
  o.out(ban.until === null
    ? 'This address is now banned for good (the last step of the ladder); the dashboard can unban it.'
    : `Watch the dashboard: the ban runs out at ${clock(ban.until)} UTC. Attack again after that and the same address ` +
      `gets the next step of the ladder (${s.ladder.join(', ')}).`);
  return 0;
}
