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
