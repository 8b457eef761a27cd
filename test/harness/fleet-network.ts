// Test network for fleet mode: a hub namespace (a bridge, and the Valkey/Redis server's address), one namespace per
// node (its own nginx, daemon and firewall) and client namespaces, all on one bridge in 198.18.0.0/16 (RFC 2544).
// Every rule and set a test makes lives inside these namespaces; destroy() removes them all.
import { execFileSync } from 'node:child_process';
import { sh } from './netns.js';

/** A namespace with its IPv4 address on the bridge. */
export interface FleetHost {
  ns: string;
  v4: string;
}

/** The network. */
export interface FleetNetwork {
  /** The hub: bridge and the server's address (198.18.0.254). */
  hub: FleetHost;
  /** Nodes: 198.18.0.1, .2, ... */
  nodes: FleetHost[];
  /** Clients: 198.18.1.1, .2, ... */
  clients: FleetHost[];
  /** Runs a command in a namespace; never throws. */
  tryExec(ns: string, cmd: string, args: string[], timeoutMs?: number): { status: number; stdout: string; stderr: string };
  destroy(): void;
}

let seq = 0;

/**
 * Creates the hub, `nodes` node namespaces and `clients` client namespaces.
 * @example const net = createFleetNetwork(3, 2); try { ... } finally { net.destroy(); }
 */
export function createFleetNetwork(nodes: number, clients: number): FleetNetwork {
  const tag = `${process.pid.toString(36)}-f${(seq++).toString(36)}`;
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
  const inNs = (ns: string, args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
  const hub: FleetHost = { ns: `wds-${tag}`, v4: '198.18.0.254' };
  const out: FleetNetwork = {
    hub, nodes: [], clients: [],
    tryExec(ns, cmd, args, timeoutMs = 10_000) {
      try {
        const stdout = execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
        return { status: 0, stdout, stderr: '' };
      } catch (err) {
        const e = err as { status?: number; stdout?: string; stderr?: string };
        return { status: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    destroy,
  };
  try {
    sh('ip', ['netns', 'add', hub.ns]);
    made.push(hub.ns);
    inNs(hub.ns, ['ip', 'link', 'set', 'lo', 'up']);
    inNs(hub.ns, ['ip', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    inNs(hub.ns, ['ip', 'addr', 'add', `${hub.v4}/16`, 'dev', 'br0']);
    inNs(hub.ns, ['ip', 'link', 'set', 'br0', 'up']);
    const attach = (ns: string, v4: string, port: string) => {
      sh('ip', ['netns', 'add', ns]);
      made.push(ns);
      inNs(ns, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port]);
      inNs(ns, ['ip', 'link', 'set', port, 'netns', hub.ns]);
      inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      inNs(ns, ['ip', 'addr', 'add', `${v4}/16`, 'dev', 'eth0']);
      inNs(ns, ['ip', 'link', 'set', 'eth0', 'up']);
      inNs(hub.ns, ['ip', 'link', 'set', port, 'master', 'br0']);
      inNs(hub.ns, ['ip', 'link', 'set', port, 'up']);
    };
    for (let i = 0; i < nodes; i++) {
      const h = { ns: `wds-${tag}-n${i}`, v4: `198.18.0.${i + 1}` };
      attach(h.ns, h.v4, `n${i}`);
      out.nodes.push(h);
    }
    for (let i = 0; i < clients; i++) {
      const h = { ns: `wdc-${tag}-${i}`, v4: `198.18.1.${i + 1}` };
      attach(h.ns, h.v4, `c${i}`);
      out.clients.push(h);
    }
    // Wait until every port forwards (a fresh bridge drops the first packets for a moment).
    const deadline = Date.now() + 5000;
    for (;;) {
      const ports = sh('ip', ['netns', 'exec', hub.ns, 'bridge', 'link', 'show']);
      if ((ports.match(/state forwarding/g) ?? []).length >= nodes + clients) break;
      if (Date.now() > deadline) throw new Error(`fleet network not forwarding after 5 s:\n${ports}`);
      execFileSync('sleep', ['0.05']);
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return out;
}
