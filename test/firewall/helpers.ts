// Shared pieces of the firewall backend tests: a test network with a tiny HTTP server, connection probes, a logger.
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createLogger, type Logger } from '../../enforcer/adapters/logger.js';
import type { FirewallOptions } from '../../enforcer/adapters/firewall/exec.js';
import { createTestNetwork, type TestNetwork } from '../harness/netns.js';

export const PORT = 8099;

/** A network with `clients` client namespaces and python's http.server on [::]:PORT (IPv4 too) in the server ns. */
export interface ServedNetwork { net: TestNetwork; server: ChildProcess; close(): void }

/** Creates the network and waits (up to 5 s) until the server listens. Call close() in t.after. */
export async function servedNetwork(clients: number): Promise<ServedNetwork> {
  const net = createTestNetwork(clients);
  const server = net.spawn(net.serverNs, 'python3', ['-m', 'http.server', '--bind', '::', '--directory', tmpdir(), String(PORT)]);
  const close = () => {
    if (server.pid && server.exitCode === null) server.kill('SIGKILL');
    net.destroy();
  };
  try {
    for (let i = 0; ; i++) {
      const r = net.tryExec(net.serverNs, 'ss', ['-Hltn', `sport = :${PORT}`]);
      if (r.stdout.includes(`:${PORT}`)) break;
      if (i > 50) throw new Error('http.server did not start listening within 5 s');
      await new Promise((res) => setTimeout(res, 100));
    }
    // The veths and bridge ports take a moment to pass traffic: wait until every client reaches the server both ways.
    for (let i = 0; i < net.clients.length; i++) {
      for (const f of [4, 6] as const) {
        for (let k = 0; !canConnect(net, i, f); k++) {
          if (k > 20) throw new Error(`client ${i} cannot reach the server over IPv${f}`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }
  } catch (err) {
    close();
    throw err;
  }
  return { net, server, close };
}

/** True when client `i` gets an HTTP answer from the server over IPv4 or IPv6 within 1 s. */
export function canConnect(net: TestNetwork, i: number, family: 4 | 6): boolean {
  const host = family === 4 ? net.serverV4 : `[${net.serverV6}]`;
  return net.tryExec(net.clients[i].ns, 'curl', ['-s', '-o', '/dev/null', '-m', '1', `http://${host}:${PORT}/`]).status === 0;
}

/** A logger keeping its lines (warnings and errors) for assertions. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('warn', (l) => lines.push(l)), lines };
}

/** Backend options running every command inside the server namespace, with a unique base name. */
export function fwOptions(net: TestNetwork, log: Logger, over: Partial<FirewallOptions> = {}): FirewallOptions {
  return { name: 'wdt', hookChains: ['INPUT'], retries: 1, prefix: ['ip', 'netns', 'exec', net.serverNs], log, ...over };
}

/** `n` distinct test addresses: nine in ten IPv4 (10.0.0.0/8), one in ten IPv6 (2001:db8:1::/48). */
export function manyAddresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i % 10 === 9 ? `2001:db8:1::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
}

/** Extra client addresses for prefix-ban tests: two inside one IPv4 /24 and IPv6 /64, one in a neighbouring prefix. */
export const PREFIX_ADDRS = {
  v4Banned: '198.18.10.0/24',
  v6Banned: '2001:db8:77:a::/64',
  /** Client 0: inside the banned prefixes. */
  c0: { v4: '198.18.10.10', v6: '2001:db8:77:a::10' },
  /** Client 1: another address of the banned prefixes, and one of the next prefixes. */
  c1: { v4: '198.18.10.20', v6: '2001:db8:77:a:ffff::20', v4Other: '198.18.11.20', v6Other: '2001:db8:77:b::20' },
};

/**
 * Gives clients 0 and 1 the PREFIX_ADDRS addresses (the IPv4 ones are inside the test network's /16; the IPv6 /64s get
 * an on-link route in the server namespace) and waits until each one reaches the server.
 */
export async function addPrefixAddresses(net: TestNetwork): Promise<void> {
  const add = (i: number, addr: string) => net.exec(net.clients[i].ns, 'ip', addr.includes(':')
    ? ['-6', 'addr', 'add', `${addr}/64`, 'dev', `c${i}`, 'nodad'] : ['addr', 'add', `${addr}/16`, 'dev', `c${i}`]);
  const { c0, c1 } = PREFIX_ADDRS;
  for (const a of [c0.v4, c0.v6]) add(0, a);
  for (const a of [c1.v4, c1.v6, c1.v4Other, c1.v6Other]) add(1, a);
  net.exec(net.serverNs, 'ip', ['-6', 'route', 'add', '2001:db8:77::/48', 'dev', 'br0']);
  // Each client reaches the server's /64 through its first address's on-link route.
  for (const [i, a] of [[0, c0.v4], [0, c0.v6], [1, c1.v4], [1, c1.v6], [1, c1.v4Other], [1, c1.v6Other]] as const) {
    for (let k = 0; !canConnectFrom(net, i, a); k++) {
      if (k > 30) throw new Error(`client ${i} cannot reach the server from ${a}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** True when client `i` gets an HTTP answer from the server within 1 s, sending from its address `src`. */
export function canConnectFrom(net: TestNetwork, i: number, src: string): boolean {
  const host = src.includes(':') ? `[${net.serverV6}]` : net.serverV4;
  return net.tryExec(net.clients[i].ns, 'curl', ['-s', '-o', '/dev/null', '-m', '1', '--interface', src, `http://${host}:${PORT}/`]).status === 0;
}
