// The bench network: a server namespace and ONE client namespace joined by a veth pair, with every test address
// (real clients and attackers, about 2,000) behind the client's end, so each request's source address is its own client.
// Names follow test/harness/netns.ts (wds-/wdc-<pid>-...), so removeStaleNamespaces() cleans up after a crash.
import { execFileSync } from 'node:child_process';
import { sh } from '../../test/harness/netns.js';

/** The network of one run. */
export interface BenchNetwork {
  serverNs: string;
  clientNs: string;
  serverV4: string;
  /** Runs a command inside a namespace and returns stdout (throws with stderr on failure). */
  exec(ns: string, cmd: string, args: string[]): string;
  /** Deletes both namespaces (and every rule, set and address in them). Safe to call twice. */
  destroy(): void;
}

let seq = 0;

/**
 * Creates the two namespaces: 198.18.0.1 on the server side, `addresses` (in 198.18.0.0/15, outside 198.18.0.0/24) on the client's.
 * @example const net = createBenchNetwork(['198.19.0.1', '198.18.100.1']); try { ... } finally { net.destroy(); }
 */
export function createBenchNetwork(addresses: string[]): BenchNetwork {
  const tag = `${process.pid.toString(36)}-cmp${seq++}`;
  const serverNs = `wds-${tag}`;
  const clientNs = `wdc-${tag}`;
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  };
  const serverV4 = '198.18.0.1';
  try {
    for (const ns of [serverNs, clientNs]) {
      sh('ip', ['netns', 'add', ns]);
      made.push(ns);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['-n', clientNs, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 's0', 'netns', serverNs]);
    // The veth itself is 198.18.0.0/24; every test address is a /32 on the client's loopback, and the server routes
    // them via the client's end. So the server keeps ONE neighbour entry, not 2,000 (the kernel's neighbour table
    // holds 1,024 by default and drops packets to the rest).
    sh('ip', ['-n', serverNs, 'addr', 'add', `${serverV4}/24`, 'dev', 's0']);
    sh('ip', ['-n', clientNs, 'addr', 'add', '198.18.0.2/24', 'dev', 'c0']);
    sh('ip', ['-n', clientNs, '-batch', '-'], `${addresses.map((a) => `addr add ${a}/32 dev lo`).join('\n')}\n`);
    sh('ip', ['-n', serverNs, 'link', 'set', 's0', 'up']);
    sh('ip', ['-n', clientNs, 'link', 'set', 'c0', 'up']);
    sh('ip', ['-n', serverNs, 'route', 'add', '198.18.0.0/15', 'via', '198.18.0.2', 'dev', 's0']);
    // The veth passes traffic once both ends report carrier (at most 5 s).
    const deadline = Date.now() + 5000;
    while (!/state UP/.test(sh('ip', ['-n', clientNs, 'link', 'show', 'c0'])) || !/state UP/.test(sh('ip', ['-n', serverNs, 'link', 'show', 's0']))) {
      if (Date.now() > deadline) throw new Error('bench network: the veth pair did not come up within 5 s');
      execFileSync('sleep', ['0.05']);
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    serverNs,
    clientNs,
    serverV4,
    exec: (ns, cmd, args) => sh('ip', ['netns', 'exec', ns, cmd, ...args]),
    destroy,
  };
}
