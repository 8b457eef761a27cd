// Benchmark of the in-nginx cost: wrk against the same nginx (1 worker) without and with the warden include, on a
// `return 200` location and a proxied one, side by side in one run; worker CPU per request from /proc/PID/stat, the
// throughput ratio; then bytes of shared memory per tracked IP. Run: npm run bench -- overhead
import { execFileSync, execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, nginxSkipReason, repoRoot, startNginx, type RunningNginx } from '../../test/harness/nginx.js';
import { signedFetch } from '../../test/harness/signed-fetch.js';

const seconds = Number(process.env.OVERHEAD_SECONDS ?? 2);
const rounds = Number(process.env.OVERHEAD_ROUNDS ?? 5);
/** Distinct client addresses the load rotates through, one run each (all of them appear every second at these rates). */
const profiles = (process.env.OVERHEAD_IPS ?? '100,10000').split(',').map(Number).filter((n) => n > 0);
const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime+stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / clkTck;
}

/** A wrk Lua script giving each request one of `n` X-Forwarded-For addresses. */
function xffScript(dir: string, n: number): string {
  const p = join(dir, 'xff.lua');
  writeFileSync(p, `local i = 0
request = function()
  i = (i + 1) % ${n}
  wrk.headers["X-Forwarded-For"] = "10.1." .. math.floor(i / 256) .. "." .. (i % 256)
  return wrk.format(nil)
end
`);
  return p;
}

interface Run {
  requests: number;
  rps: number;
  usPerReq: number;
}

/** Runs `cmd` pinned to CPU `cpu` (taskset) when the machine has more than one; otherwise as it is. */
const cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || 1;
function pinned(cpu: number, cmd: string[]): string[] {
  return cpus > 1 ? ['taskset', '-c', String(cpu % cpus), ...cmd] : cmd;
}

/** Pins every process of an nginx (master and workers) to one CPU, so its worker never shares a core with wrk. */
function pinNginx(ng: RunningNginx, cpu: number): void {
  if (cpus < 2) return;
  for (const pid of [ng.pid, ...ng.workers()]) execFileSync('taskset', ['-pc', String(cpu % cpus), String(pid)], { stdio: 'ignore' });
}

async function wrk(url: string, script: string, ng: RunningNginx): Promise<Run> {
  const worker = ng.workers()[0];
  const before = cpuMicros(worker);
  const cmd = pinned(1, ['wrk', '-t1', '-c32', `-d${seconds}s`, '-s', script, url]);
  const out = await new Promise<string>((resolve, reject) => {
    execFile(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 60_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout));
  });
  const used = cpuMicros(worker) - before;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (requests === 0 || non2xx > 0) throw new Error(`wrk ${url}: ${requests} requests, ${non2xx} non-2xx\n${out}`);
  return { requests, rps, usPerReq: used / requests };
}

/** Fills a 1 MiB counts zone with distinct addresses (pipelined requests) and reads how many entries it holds. */
async function bytesPerIp(v6: boolean): Promise<{ entries: number; bytes: number }> {
  const ng = await startNginx({
    workers: 1,
    httpExtra: 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For; keepalive_requests 1000000;',
    editWardenConf: (t) => t.replace(/zone=warden_counts:\d+m/, 'zone=warden_counts:1m'),
    servers: ['location / { return 200 "ok\\n"; }'],
  });
  try {
    const n = 20_000;
    await new Promise<void>((resolve, reject) => {
      const s = connect(ng.port, '127.0.0.1');
      let seen = 0;
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        seen += (d.match(/HTTP\/1\.1 /g) ?? []).length;
        if (seen >= n) s.end();
      });
      s.on('close', () => resolve());
      s.on('error', reject);
      const reqs: string[] = [];
      for (let i = 0; i < n; i++) {
        const ip = v6 ? `2001:db8:${(i >> 8).toString(16)}:77::${(i & 255).toString(16)}` : `10.2.${i >> 8}.${i & 255}`;
        reqs.push(`GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: ${ip}\r\n\r\n`);
      }
      s.write(reqs.join(''));
    });
    const st = (await (await fetch(`${ng.internalUrl}/status`)).json()) as { zones: { warden_counts: { items: number; capacity: number } } };
    const z = st.zones.warden_counts;
    return { entries: z.items, bytes: z.capacity / z.items };
  } finally {
    await ng.stop();
  }
}

async function main(): Promise<void> {
  const skip = nginxSkipReason();
  if (skip) {
    console.log(`overhead: skipped: ${skip}`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'warden-overhead-'));
  const upstream = await startNginx({ warden: false, workers: 1, servers: ['location / { return 200 "upstream ok\\n"; }'] });
  const site = `location /r { return 200 "ok\\n"; }
    location /p { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }`;
  const httpExtra = `set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;
  upstream up { server 127.0.0.1:${upstream.port}; keepalive 32; }`;
  const plain = await startNginx({ warden: false, workers: 1, httpExtra, servers: [site] });
  const warden = await startNginx({ workers: 1, httpExtra, servers: [site, `include {dir}/nginx-server.conf;\n    ${site}`] });
  // A control: the same nginx with a js_set in the log phase that does nothing. Its cost is njs's per-request VM,
  // which any njs handler pays; the difference to it is what warden's own code costs.
  const nb = findNginx();
  if (typeof nb === 'string') throw new Error(nb);
  const noopHost = join(nb.root ? join(nb.root, 'srv') : join(repoRoot, '.cache'), `warden-bench-noop-${process.pid}`);
  mkdirSync(noopHost, { recursive: true });
  writeFileSync(join(noopHost, 'noop.js'), "function log(r) { return ''; }\nexport default { log };\n");
  const noopInNginx = nb.root ? `/srv/${noopHost.slice(join(nb.root, 'srv').length + 1)}` : noopHost;
  const noop = await startNginx({ warden: false, workers: 1, servers: [site], httpExtra: `${httpExtra}
  js_path "${noopInNginx}/"; js_import noop from noop.js; js_set $noop_log noop.log; access_log /dev/null combined if=$noop_log;` });
  // The nginx under test on CPU 0, wrk and the upstream on CPU 1: the worker's CPU time is not shared with the load.
  for (const ng of [plain, noop, warden]) pinNginx(ng, 0);
  pinNginx(upstream, 1);
  // The enforcer's poll, once a second, as in production (its cost lands on the same worker).
  let polled = 0;
  const poller = setInterval(() => {
    signedFetch(warden.countersUrl, warden.secret, {}, 'poll').then((r) => r.text()).then(() => polled++, () => {});
  }, 1000);
  const variants: Array<{ name: string; path: string; ng: RunningNginx; server: number }> = [
    { name: 'return 200, no warden', path: '/r', ng: plain, server: 0 },
    { name: 'return 200, no-op js_set', path: '/r', ng: noop, server: 0 },
    { name: 'return 200, warden', path: '/r', ng: warden, server: 0 },
    { name: 'return 200, warden + ban check', path: '/r', ng: warden, server: 1 },
    { name: 'proxied, no warden', path: '/p', ng: plain, server: 0 },
    { name: 'proxied, no-op js_set', path: '/p', ng: noop, server: 0 },
    { name: 'proxied, warden', path: '/p', ng: warden, server: 0 },
  ];
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const verdicts: string[] = [];
  try {
    for (const ips of profiles) {
      const script = xffScript(tmp, ips);
      const results = new Map<string, Run[]>();
      for (let round = 0; round < rounds; round++) {
        // Interleaved, and each round in a different order, so a slow spell of the machine hits every variant alike.
        const order = variants.map((v, i) => variants[(i + round) % variants.length]);
        for (const v of order) {
          const r = await wrk(v.ng.url(v.path, v.server), script, v.ng);
          results.set(v.name, [...(results.get(v.name) ?? []), r]);
        }
      }
      const runs = (name: string) => results.get(name) ?? [];
      const perRound = (name: string, baseName: string, f: (x: Run, b: Run) => number) =>
        runs(name).map((x, i) => f(x, runs(baseName)[i]));
      console.log(`\n${ips} client addresses (X-Forwarded-For) | wrk -t1 -c32 -d${seconds}s x ${rounds} interleaved rounds | ` +
        `1 nginx worker on CPU 0, wrk on CPU 1 | medians of the rounds`);
      console.log('variant                          req/s  worker us/req  added over plain  added over no-op js  throughput ratio');
      for (const v of variants) {
        const base = v.path === '/r' ? 'return 200, no warden' : 'proxied, no warden';
        const nb2 = v.path === '/r' ? 'return 200, no-op js_set' : 'proxied, no-op js_set';
        const us = median(runs(v.name).map((x) => x.usPerReq));
        const added = v.ng === plain ? '-' : median(perRound(v.name, base, (x, b) => x.usPerReq - b.usPerReq)).toFixed(2);
        const overNoop = v.ng === warden ? median(perRound(v.name, nb2, (x, b) => x.usPerReq - b.usPerReq)).toFixed(2) : '-';
        const ratio = median(perRound(v.name, base, (x, b) => x.rps / b.rps));
        console.log(`${v.name.padEnd(32)} ${median(runs(v.name).map((x) => x.rps)).toFixed(0).padStart(6)} ${us.toFixed(2).padStart(14)} ` +
          `${added.padStart(17)} ${overNoop.padStart(20)} ${ratio.toFixed(3).padStart(17)}`);
      }
      const r = median(perRound('return 200, warden', 'return 200, no warden', (x, b) => x.usPerReq - b.usPerReq));
      const loss = 1 - median(perRound('proxied, warden', 'proxied, no warden', (x, b) => x.rps / b.rps));
      const vm = median(perRound('return 200, no-op js_set', 'return 200, no warden', (x, b) => x.usPerReq - b.usPerReq));
      verdicts.push(`${ips} clients: <= 3 us added CPU per request (return 200): ${r.toFixed(2)} us -> ${r <= 3 ? 'met' : 'NOT met'} ` +
        `(a no-op js_set adds ${vm.toFixed(2)} us in this run); < 5% throughput loss, proxied: ${(loss * 100).toFixed(1)}% -> ${loss < 0.05 ? 'met' : 'NOT met'}`);
    }
  } finally {
    clearInterval(poller);
    await warden.stop();
    await noop.stop();
    rmSync(noopHost, { recursive: true, force: true });
    await plain.stop();
    await upstream.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\ncounters polled ${polled} times (once a second, on the same worker)`);
  for (const v of verdicts) console.log(`target, ${v}`);
  for (const v6 of [false, true]) {
    const m = await bytesPerIp(v6);
    console.log(`shared memory per tracked ${v6 ? 'IPv6' : 'IPv4'} address-second: ${m.bytes.toFixed(0)} bytes (${m.entries} entries in a 1 MiB zone; ~${Math.floor((16 * 1048576) / m.bytes)} in the default 16m)`);
  }
  // Instructions per request (callgrind: independent of machine load). Needs root and a Debian mirror for valgrind.
  if (process.env.OVERHEAD_CALLGRIND !== '0') {
    console.log('');
    try {
      execFileSync('bash', [join(repoRoot, 'bench/overhead/callgrind.sh')], { stdio: 'inherit', timeout: 900_000 });
    } catch (err) {
      console.log(`callgrind: skipped: ${(err as Error).message.split('\n')[0]} (OVERHEAD_CALLGRIND=0 skips it)`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
