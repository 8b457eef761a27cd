// Load generator of the soak, run inside a client network namespace (one process per namespace or per attack):
//   node load-client.js background '{"url":..,"addrs":[..],"rps":1.2,"seconds":600,"timeoutMs":5000}'
//     Each address is a human client: one keep-alive connection bound to that source address, requests at random
//     (exponential) intervals averaging `rps` per second. Prints a JSON progress line every 5 s and a final line with
//     every failure (address, time, status or error), so the soak can tell whether warden ever cost a client a request.
//   node load-client.js flood '{"url":..,"addr":..,"rps":200,"conc":4,"seconds":10}'
//     One flooding address: `conc` keep-alive connections bound to `addr`, paced to `rps` in total, 300 ms timeout per
//     request (a dropped packet shows as a timeout). Prints one JSON line: first request, first failure, counts.
// Both stop after `seconds` or on SIGTERM, and always print their final line.
import { Agent, request } from 'node:http';

interface BackgroundArgs { url: string; addrs: string[]; rps: number; seconds: number; timeoutMs: number }
interface FloodArgs { url: string; addr: string; rps: number; conc: number; seconds: number }

/** One failed background request. */
export interface Failure { addr: string; at: number; status: number; error: string; ms: number }

/** The final line of a background client. */
export interface BackgroundReport {
  kind: 'background';
  sent: number;
  ok: number;
  /** Answers by status (200 expected only). */
  statuses: Record<string, number>;
  /** Requests that got no answer (error or timeout). */
  errors: number;
  /** Slowest answer, and answers slower than 1 s. */
  maxMs: number;
  slow: number;
  failures: Failure[];
}

/** The final line of a flood. */
export interface FloodReport {
  kind: 'flood';
  addr: string;
  firstSent: number;
  /** When the first request that got no answer (or a 403) was sent; null when none failed. */
  firstFailSent: number | null;
  ok: number;
  forbidden: number;
  failed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One GET with a timeout; resolves with the status (0 = no answer) and the error text. */
function get(url: string, agent: Agent, timeoutMs: number): Promise<{ status: number; error: string }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, error: string) => {
      if (done) return;
      done = true;
      resolve({ status, error });
    };
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? 0, ''));
      res.on('error', (e) => finish(0, e.message));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`timeout after ${timeoutMs} ms`));
    });
    req.on('error', (e) => finish(0, e.message));
    req.end();
  });
}

async function background(a: BackgroundArgs): Promise<void> {
  const rep: BackgroundReport = { kind: 'background', sent: 0, ok: 0, statuses: {}, errors: 0, maxMs: 0, slow: 0, failures: [] };
  const end = Date.now() + a.seconds * 1000;
  let stopped = false;
  const stop = () => { stopped = true; };
  process.on('SIGTERM', stop);
  const progress = setInterval(() => {
    console.log(JSON.stringify({ kind: 'progress', sent: rep.sent, ok: rep.ok, errors: rep.errors, non200: rep.sent - rep.ok - rep.errors }));
  }, 5000);
  const client = async (addr: string) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: addr });
    // Spread the start over the first second.
    await sleep(Math.random() * 1000);
    while (!stopped && Date.now() < end) {
      const t0 = Date.now();
      const r = await get(a.url, agent, a.timeoutMs);
      const ms = Date.now() - t0;
      rep.sent++;
      if (ms > rep.maxMs) rep.maxMs = ms;
      if (ms > 1000) rep.slow++;
      if (r.status === 200) rep.ok++;
      else {
        if (r.status) rep.statuses[r.status] = (rep.statuses[r.status] ?? 0) + 1;
        else rep.errors++;
        if (rep.failures.length < 200) rep.failures.push({ addr, at: t0, status: r.status, error: r.error, ms });
      }
      // Exponential gaps (a Poisson process per client), capped at 10 s so a connection never idles out.
      const gap = Math.min(10_000, (-Math.log(1 - Math.random()) / a.rps) * 1000);
      await sleep(Math.max(0, gap - ms));
    }
    agent.destroy();
  };
  await Promise.all(a.addrs.map(client));
  clearInterval(progress);
  console.log(JSON.stringify(rep));
}

async function flood(a: FloodArgs): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: a.conc, localAddress: a.addr });
  const rep: FloodReport = { kind: 'flood', addr: a.addr, firstSent: 0, firstFailSent: null, ok: 0, forbidden: 0, failed: 0 };
  const start = Date.now();
  let stopped = false;
  process.on('SIGTERM', () => { stopped = true; });
  const perWorkerMs = (1000 * a.conc) / a.rps;
  const worker = async (k: number) => {
    let next = start + (k * perWorkerMs) / a.conc;
    while (!stopped && Date.now() - start < a.seconds * 1000) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      next += perWorkerMs;
      const sent = Date.now();
      if (!rep.firstSent) rep.firstSent = sent;
      const r = await get(a.url, agent, 300);
      if (r.status === 200) rep.ok++;
      else {
        if (r.status === 403) rep.forbidden++;
        else rep.failed++;
        if (rep.firstFailSent === null || sent < rep.firstFailSent) rep.firstFailSent = sent;
      }
      // Behind schedule (timeouts): do not burst to catch up.
      if (next < Date.now()) next = Date.now();
    }
  };
  await Promise.all(Array.from({ length: a.conc }, (_, k) => worker(k)));
  agent.destroy();
  console.log(JSON.stringify(rep));
}

const [mode, json] = process.argv.slice(2);
if (mode === 'background') await background(JSON.parse(json) as BackgroundArgs);
else if (mode === 'flood') await flood(JSON.parse(json) as FloodArgs);
else {
  console.error('usage: load-client.js background|flood JSON');
  process.exit(2);
}
process.exit(0);
