// Benchmark of the in-nginx cost: wrk against the same nginx (1 worker) without and with the warden include, on a
// `return 200` location and a proxied one, side by side in one run; worker CPU per request from /proc/PID/stat, the
// throughput ratio; then bytes of shared memory per tracked IP. Run: npm run bench -- overhead
import { execFileSync, execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, nginxSkipReason, repoRoot, startNginx, type RunningNginx } from '../../test/harness/nginx.js';

const seconds = Number(process.env.OVERHEAD_SECONDS ?? 2);
const rounds = Number(process.env.OVERHEAD_ROUNDS ?? 3);
/** Distinct client addresses the load rotates through (all of them appear every second at these rates). */
const ips = Number(process.env.OVERHEAD_IPS ?? 10_000);
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

async function wrk(url: string, script: string, ng: RunningNginx): Promise<Run> {
  const worker = ng.workers()[0];
  const before = cpuMicros(worker);
  const out = await new Promise<string>((resolve, reject) => {
    execFile('wrk', ['-t1', '-c32', `-d${seconds}s`, '-s', script, url], { encoding: 'utf8', timeout: 60_000 }, (err, stdout) =>
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
  const script = xffScript(tmp, ips);
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
  // The enforcer's poll, once a second, as in production (its cost lands on the same worker).
  let polled = 0;
  const poller = setInterval(() => {
    fetch(warden.countersUrl).then((r) => r.text()).then(() => polled++, () => {});
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
  const results = new Map<string, Run[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        const r = await wrk(v.ng.url(v.path, v.server), script, v.ng);
        results.set(v.name, [...(results.get(v.name) ?? []), r]);
      }
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
  const sum = (name: string) => {
    const rs = results.get(name) ?? [];
    const req = rs.reduce((a, r) => a + r.requests, 0);
    return { req, rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length, us: rs.reduce((a, r) => a + r.usPerReq * r.requests, 0) / req };
  };
  console.log(`wrk -t1 -c32 -d${seconds}s x ${rounds} rounds, interleaved; 1 nginx worker; ${ips} X-Forwarded-For addresses; counters polled ${polled} times`);
  console.log('variant                          requests     req/s  worker us/req  added us/req  throughput ratio');
  const base: Record<string, ReturnType<typeof sum>> = { '/r': sum('return 200, no warden'), '/p': sum('proxied, no warden') };
  for (const v of variants) {
    const s = sum(v.name);
    const b = base[v.path];
    const added = s.us - b.us;
    console.log(`${v.name.padEnd(32)} ${String(s.req).padStart(8)} ${s.rps.toFixed(0).padStart(9)} ${s.us.toFixed(2).padStart(14)} ${(v.ng === plain ? '-' : added.toFixed(2)).padStart(13)} ${(s.rps / b.rps).toFixed(3).padStart(17)}`);
  }
  // Per-round differences (each round runs the variants back to back): the median is steadier than the totals.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perRound = (name: string, baseName: string) =>
    (results.get(name) ?? []).map((x, i) => x.usPerReq - (results.get(baseName) ?? [])[i].usPerReq);
  const rr = perRound('return 200, warden', 'return 200, no warden');
  const pr = perRound('proxied, warden', 'proxied, no warden');
  console.log(`added us/req per round, return 200: ${rr.map((x) => x.toFixed(2)).join(' ')} (median ${median(rr).toFixed(2)}); proxied: ${pr.map((x) => x.toFixed(2)).join(' ')} (median ${median(pr).toFixed(2)})`);
  const rn = perRound('return 200, warden', 'return 200, no-op js_set');
  const pn = perRound('proxied, warden', 'proxied, no-op js_set');
  const vm = perRound('return 200, no-op js_set', 'return 200, no warden');
  console.log(`njs VM alone (no-op js_set over plain), return 200: median ${median(vm).toFixed(2)} us/req`);
  console.log(`warden's own code over the no-op js_set, per round: return 200 ${rn.map((x) => x.toFixed(2)).join(' ')} (median ${median(rn).toFixed(2)}); proxied ${pn.map((x) => x.toFixed(2)).join(' ')} (median ${median(pn).toFixed(2)})`);
  const r = median(rr);
  const p = sum('proxied, warden');
  const loss = 1 - p.rps / base['/p'].rps;
  console.log(`target: <= 3 us added CPU per request: ${r.toFixed(2)} us (median, return 200) -> ${r <= 3 ? 'met' : 'NOT met'}`);
  console.log(`target: < 5% throughput loss, proxied: ${(loss * 100).toFixed(1)}% -> ${loss < 0.05 ? 'met' : 'NOT met'}`);
  for (const v6 of [false, true]) {
    const m = await bytesPerIp(v6);
    console.log(`shared memory per tracked ${v6 ? 'IPv6' : 'IPv4'} address-second: ${m.bytes.toFixed(0)} bytes (${m.entries} entries in a 1 MiB zone; ~${Math.floor((16 * 1048576) / m.bytes)} in the default 16m)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
