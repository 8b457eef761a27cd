// Benchmark of the kernel firewall backends inside test namespaces: (a) packet cost for an unbanned client with 0, 10k
// and 100k banned IPs, iptables rule-per-IP vs ipset vs nftables side by side in one run (HTTP requests per second,
// a new TCP connection each, through `ab` to a tiny Node server; hooked vs unhooked, paired); (b) time to apply N bans
// at startup (init + one commit). Needs root. Run: npm run bench -- enforce
import { createIpsetBackend } from '../../enforcer/adapters/firewall/ipset.js';
import { createNftablesBackend } from '../../enforcer/adapters/firewall/nftables.js';
import { createIptablesBackend } from '../../enforcer/adapters/firewall/iptables.js';
import type { FirewallOptions } from '../../enforcer/adapters/firewall/exec.js';
import type { FirewallBackend } from '../../enforcer/adapters/firewall/port.js';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { canConnect, PORT } from '../../test/firewall/helpers.js';
import { createTestNetwork, netnsSkipReason, type TestNetwork } from '../../test/harness/netns.js';
import { maxOf } from '../../enforcer/core/arrays.js';

const seconds = Number(process.env.ENFORCE_SECONDS ?? 1);
const rounds = Number(process.env.ENFORCE_ROUNDS ?? 3);
const sizes = (process.env.ENFORCE_SIZES ?? '0,10000,100000').split(',').map(Number);
/** The rule-per-IP chain is capped here (loading and walking more rules takes minutes); rows above it say so. */
const iptablesCap = Number(process.env.ENFORCE_IPTABLES_CAP ?? 100_000);

const skip = netnsSkipReason();
if (skip) {
  console.log(`bench/enforce skipped: ${skip}`);
  process.exit(0);
}

type Factory = (fw: FirewallOptions) => FirewallBackend;
const backends: Array<[string, Factory]> = [
  ['iptables (rule per IP)', createIptablesBackend],
  ['ipset', createIpsetBackend],
  ['nftables', createNftablesBackend],
];

/** `n` distinct addresses none of which is the test client's: 10.0.0.0/8. */
function addresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Requests per second an unbanned client gets in one run of `ab -c 4` for `seconds` s (no keep-alive). */
function abOnce(net: TestNetwork): number {
  const r = net.tryExec(net.clients[0].ns, 'ab', ['-q', '-c', '4', '-t', String(seconds), '-n', '1000000', '-s', '5', `http://${net.serverV4}:${PORT}/`]);
  const m = /Requests per second:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`ab failed: ${r.stderr || r.stdout}`);
  return Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Paired measurement on a shared, noisy machine: `rounds` times, requests/s with the firewall unhooked, then hooked
 * (same rules and sets loaded); medians of both and the median of the per-pair ratios.
 */
async function pairedRps(net: TestNetwork, hook: (on: boolean) => Promise<void>): Promise<{ off: number; on: number; ratio: number }> {
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await hook(false);
    off.push(abOnce(net));
    await hook(true);
    on.push(abOnce(net));
  }
  return { off: median(off), on: median(on), ratio: median(on.map((x, i) => x / off[i])) };
}

/** Hooks or unhooks a backend's drops without touching its sets or rules: the INPUT jump, or the nft chain's rules. */
function hooker(net: TestNetwork, label: string, fw: FirewallBackend): (on: boolean) => Promise<void> {
  const inNs = (cmd: string, args: string[]) => net.exec(net.serverNs, cmd, args);
  if (label === 'nftables') {
    return async (on) => {
      if (on) await fw.init();
      else inNs('nft', ['flush', 'chain', 'inet', NAME, 'input']);
    };
  }
  // The ipset backend's chain is NAME, the rule-per-IP backend's NAME-IP (enforcer/adapters/firewall/iptables.ts).
  const chain = label === 'ipset' ? NAME.toUpperCase() : `${NAME.toUpperCase()}-IP`;
  return async (on) => {
    for (const bin of ['iptables', 'ip6tables']) inNs(bin, on ? ['-I', 'INPUT', '1', '-j', chain] : ['-D', 'INPUT', '-j', chain]);
  };
}

const NAME = 'wdb';

interface Row { backend: string; bans: number; applyMs: number; off: number; on: number; ratio: number; note: string }

async function main(): Promise<void> {
  const net = createTestNetwork(1);
  const server = net.spawn(net.serverNs, process.execPath, ['-e',
    `require('http').createServer((q, s) => s.end('ok')).listen(${PORT}, '0.0.0.0')`]);
  const log = createLogger('warn');
  const rows: Row[] = [];
  try {
    for (let i = 0; !net.tryExec(net.serverNs, 'ss', ['-Hltn', `sport = :${PORT}`]).stdout.includes(`:${PORT}`); i++) {
      if (i > 50) throw new Error('server did not start');
      await sleep(100);
    }
    // The bridge takes a moment to pass traffic.
    for (let i = 0; !canConnect(net, 0, 4); i++) {
      if (i > 30) throw new Error('the client cannot reach the server');
      await sleep(100);
    }
    abOnce(net); // warm-up
    const until = Math.floor(Date.now() / 1000) + 3600;
    for (const [label, make] of backends) {
      for (const n0 of sizes) {
        const n = label.startsWith('iptables') ? Math.min(n0, iptablesCap) : n0;
        const fw = make({ name: NAME, hookChains: ['INPUT'], retries: 0, prefix: ['ip', 'netns', 'exec', net.serverNs], log });
        const t0 = performance.now();
        await fw.init();
        fw.add(addresses(n).map((ip) => ({ ip, until })));
        const r = await fw.commit();
        const applyMs = performance.now() - t0;
        if (r.failed.length || r.added !== n) throw new Error(`${label}: ${r.added} of ${n} applied, ${r.failed.length} failed: ${r.failed[0]?.error}`);
        const { off, on, ratio } = await pairedRps(net, hooker(net, label, fw));
        rows.push({ backend: label, bans: n, applyMs, off, on, ratio, note: n < n0 ? `capped at ${n}` : '' });
        console.error(`  ${label} ${n}: apply ${applyMs.toFixed(0)} ms, ${off.toFixed(0)} -> ${on.toFixed(0)} req/s`);
        await fw.destroy();
      }
    }
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    net.destroy();
  }
  console.log(`packet cost for an unbanned client: HTTP requests/s (ab -c 4, a new TCP connection per request, ${seconds} s runs), ` +
    `${rounds} paired runs with the backend's drops unhooked / hooked (medians; ratio = median of the pairs' ratios); apply = init + one commit`);
  console.log(`${'backend'.padEnd(24)}${'bans'.padStart(8)}${'apply ms'.padStart(10)}${'unhooked'.padStart(10)}${'hooked'.padStart(10)}${'ratio'.padStart(8)}  note`);
  for (const r of rows) {
    console.log(`${r.backend.padEnd(24)}${String(r.bans).padStart(8)}${r.applyMs.toFixed(0).padStart(10)}` +
      `${r.off.toFixed(0).padStart(10)}${r.on.toFixed(0).padStart(10)}${(`${(r.ratio * 100).toFixed(0)}%`).padStart(8)}  ${r.note}`);
  }
  const big = maxOf(sizes);
  for (const name of ['ipset', 'nftables']) {
    const r = rows.find((x) => x.backend === name && x.bans === big);
    if (r) {
      console.log(`target: ${name} with ${big} bans within 10% of no bans: ${(r.ratio * 100).toFixed(0)}% -> ${r.ratio >= 0.9 ? 'met' : 'NOT met (or noise: rerun on a quiet machine)'}; ` +
        `startup apply under 3 s: ${r.applyMs.toFixed(0)} ms -> ${r.applyMs < 3000 ? 'met' : 'NOT met'}`);
    }
  }
}

await main();
