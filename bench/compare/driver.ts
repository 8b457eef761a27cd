// The traffic driver of bench/compare and bench/live-flood, run inside the client namespace (every test address is on
// its veth):
//   node driver.js PLAN.json START_EPOCH_MS URL replay          replays the real log
//   node driver.js PLAN.json START_EPOCH_MS URL attack <index>  runs one attack
// Each request binds its source address (`localAddress`), so a ban drops that address's real packets. Prints one JSON
// line: per address, requests sent/answered/failed, the first send, and when the final run of failures began (the
// first dropped packet of a ban: every request from then on went unanswered).
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Attack, DriverPlan } from './schedule.js';
import { finalFailures, type AddressResult, type DriverResult } from './outcome.js';

const [planFile, startArg, url, role, indexArg] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as DriverPlan;
const start = Number(startArg);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const results: DriverResult = {};
/** Per address: send times, negative for a request that failed. */
const logs = new Map<string, number[]>();
const log = (addr: string) => {
  let l = logs.get(addr);
  if (!l) logs.set(addr, (l = []));
  return l;
};

function resultOf(addr: string): AddressResult {
  let r = results[addr];
  if (!r) r = results[addr] = { sent: 0, ok: 0, failed: 0, firstSentMs: 0, cutAtMs: null, tailFailures: 0 };
  return r;
}

/** Escapes what Node refuses in a request path (spaces, quotes, non-ASCII). */
function safePath(p: string): string {
  return p.replace(/[^\x21-\x7e]|"/g, (c) => encodeURIComponent(c));
}

/** Sends one request from `addr`; resolves true when answered within `timeoutMs`. */
function send(addr: string, method: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<boolean> {
  const r = resultOf(addr);
  const sentAt = Date.now();
  r.sent++;
  if (!r.firstSentMs) r.firstSentMs = sentAt;
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) r.ok++;
      else r.failed++;
      // Completion order for the live check; the output re-derives the cut from send order.
      r.tailFailures = ok ? 0 : r.tailFailures + 1;
      if (r.tailFailures === 1) r.cutAtMs = sentAt;
      log(addr).push(ok ? sentAt : -sentAt);
      resolve(ok);
    };
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: target.hostname, port: target.port, method, path: safePath(path), localAddress: addr, agent,
        headers: { ...headers, 'content-length': '0' } }, (res) => {
        res.resume();
        res.on('end', () => finish(true));
        res.on('error', () => finish(false));
      });
    } catch {
      finish(false);
      return;
    }
    const timer = setTimeout(() => {
      finish(false);
      req.destroy();
    }, timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/** Replays the log: each request at its time, from its client's address; answers within 2 s count. */
async function replay(): Promise<void> {
  const pending: Promise<boolean>[] = [];
  for (let i = 0; i < plan.replay.length;) {
    const due = start + plan.replay[i].atMs;
    if (due > Date.now()) await sleepUntil(due);
    while (i < plan.replay.length && start + plan.replay[i].atMs <= Date.now()) {
      const q = plan.replay[i++];
      const headers: Record<string, string> = { 'user-agent': q.ua || '-', 'x-replay-status': String(q.status) };
      pending.push(send(plan.replayAddresses[q.client], q.method, q.path, headers, 2000));
    }
  }
  await Promise.all(pending);
}

/** True when an address has been cut off for good: 3 failures in a row over at least 1.5 s. */
function cut(addr: string): boolean {
  const r = resultOf(addr);
  return r.tailFailures >= 3 && r.cutAtMs !== null && Date.now() - r.cutAtMs >= 1500;
}

/** One attack: paced per address (phases spread evenly), or back to back on `concurrency` connections. */
async function attack(a: Attack): Promise<void> {
  const t0 = start + a.startMs;
  const end = t0 + a.durationMs;
  const headers = { 'user-agent': `bench-compare-${a.name.replace(/ /g, '-')}` };
  await sleepUntil(t0);
  if (a.ratePerAddress === 0) {
    const addr = a.addresses[0];
    let n = 0;
    const worker = async () => {
      while (Date.now() < end && !cut(addr)) await send(addr, a.method, a.path.replace('{n}', String(n++)), headers, a.timeoutMs);
    };
    await Promise.all(Array.from({ length: a.concurrency }, worker));
    return;
  }
  const gap = 1000 / a.ratePerAddress;
  const pending: Promise<boolean>[] = [];
  const one = async (addr: string, phase: number) => {
    let inFlight = 0;
    for (let k = 0; ; k++) {
      const due = t0 + phase + k * gap;
      if (due >= end || cut(addr)) break;
      await sleepUntil(due);
      if (inFlight >= a.concurrency) continue; // the address's connections are all stuck: skip this slot
      inFlight++;
      pending.push(send(addr, a.method, a.path.replace('{n}', String(k)), headers, a.timeoutMs).finally(() => inFlight--));
    }
  };
  await Promise.all(a.addresses.map((addr, i) => one(addr, (gap * i) / a.addresses.length)));
  await Promise.all(pending);
}

if (role === 'replay') await replay();
else if (role === 'attack') await attack(plan.attacks[Number(indexArg)]);
else throw new Error(`driver: unknown role ${role}`);
for (const [addr, sends] of logs) Object.assign(resultOf(addr), finalFailures(sends));
console.log(JSON.stringify(results));
agent.destroy();
process.exit(0);
