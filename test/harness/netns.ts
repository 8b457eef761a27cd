// Test network: a "server" namespace and client namespaces joined by veth pairs, made by the test and removed after.
// Every firewall rule a test makes lives inside these namespaces; nothing touches the root namespace's chains.
// Addresses: 198.18.0.0/15 (RFC 2544, benchmarking) and 2001:db8::/32 (RFC 3849, documentation).
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { needCommands, needRoot } from './tools.js';

/** True when this process can create namespaces (root with `ip` available). */
export function canUseNetns(): boolean {
  if (!process.getuid || process.getuid() !== 0) return false;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why netns tests are skipped here, or false when they can run (for `test(name, { skip })`). */
export function netnsSkipReason(): string | false {
  return needRoot('creates network namespaces') || needCommands('ip', 'bridge');
}

/** Runs a command, returning stdout; throws with stderr on failure. */
export function sh(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`, { cause: err });
  }
}

export interface ClientHost {
  ns: string;
  v4: string;
  v6: string;
}

export interface TestNetwork {
  /** Namespace of the server (nginx, firewall). */
  serverNs: string;
  /** Server addresses as seen from every client. */
  serverV4: string;
  serverV6: string;
  clients: ClientHost[];
  /** Runs a command inside a namespace and returns stdout. */
  exec(ns: string, cmd: string, args: string[], input?: string): string;
  /** Like exec but never throws: exit status and output. */
  tryExec(ns: string, cmd: string, args: string[]): { status: number; stdout: string; stderr: string };
  /** Starts a long-running process inside a namespace. */
  spawn(ns: string, cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** Removes every namespace (and so every veth, rule and set in them). Safe to call twice. */
  destroy(): void;
}

let seq = 0;

/**
 * Creates a server namespace with `clients` client namespaces, each on its own veth pair (IPv4 and IPv6).
 * @example
 *   const net = createTestNetwork(2);
 *   try { net.exec(net.clients[0].ns, 'curl', ['-s', `http://${net.serverV4}:8080/`]); } finally { net.destroy(); }
 */
export function createTestNetwork(clients: number): TestNetwork {
  if (clients < 1 || clients > 200) throw new Error('createTestNetwork: 1 to 200 clients');
  const tag = `${process.pid.toString(36)}-${(seq++).toString(36)}`;
  const serverNs = `wds-${tag}`;
  const made: string[] = [];
  const serverV4 = '198.18.0.1';
  const serverV6 = '2001:db8:77::1';
  const hosts: ClientHost[] = [];
  const destroy = () => {
    for (const ns of made.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  };
  try {
    sh('ip', ['netns', 'add', serverNs]);
    made.push(serverNs);
    const inServer = (args: string[]) => sh('ip', ['netns', 'exec', serverNs, ...args]);
    inServer(['ip', 'link', 'set', 'lo', 'up']);
    // No STP and no forwarding delay: a port forwards as soon as its link is up.
    inServer(['ip', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    inServer(['ip', 'addr', 'add', `${serverV4}/16`, 'dev', 'br0']);
    inServer(['ip', '-6', 'addr', 'add', `${serverV6}/64`, 'dev', 'br0', 'nodad']);
    inServer(['ip', 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < clients; i++) {
      const ns = `wdc-${tag}-${i}`;
      const v4 = `198.18.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
      const v6 = `2001:db8:77::${(0x100 + i).toString(16)}`;
      sh('ip', ['netns', 'add', ns]);
      made.push(ns);
      // veth created in the client namespace; its peer moved to the server namespace and enslaved to the bridge.
      const a = `c${i}`;
      const b = `s${i}`;
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', b, 'netns', serverNs]);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${v4}/16`, 'dev', a]);
      sh('ip', ['netns', 'exec', ns, 'ip', '-6', 'addr', 'add', `${v6}/64`, 'dev', a, 'nodad']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', a, 'up']);
      inServer(['ip', 'link', 'set', b, 'master', 'br0']);
      inServer(['ip', 'link', 'set', b, 'up']);
      hosts.push({ ns, v4, v6 });
    }
    waitUntilForwarding(serverNs, hosts);
  } catch (err) {
    destroy();
    throw err;
  }
  const exec = (ns: string, cmd: string, args: string[], input?: string) =>
    sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
  return {
    serverNs,
    serverV4,
    serverV6,
    clients: hosts,
    exec,
    tryExec(ns, cmd, args) {
      try {
        const stdout = execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { status: 0, stdout, stderr: '' };
      } catch (err) {
        const e = err as { status?: number; stdout?: string; stderr?: string };
        return { status: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    spawn(ns, cmd, args, opts = {}) {
      return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'ignore', ...opts });
    },
    destroy,
  };
}

/**
 * Waits (at most 5 s) until every link is up and every bridge port forwards: a fresh network otherwise drops the first
 * packets for about a second, which a test would read as a ban.
 */
function waitUntilForwarding(serverNs: string, hosts: ClientHost[]): void {
  const deadline = Date.now() + 5000;
  for (;;) {
    const ports = sh('ip', ['netns', 'exec', serverNs, 'bridge', 'link', 'show']);
    const forwarding = (ports.match(/state forwarding/g) ?? []).length;
    const clientsUp = hosts.every((h, i) => /state UP/.test(sh('ip', ['netns', 'exec', h.ns, 'ip', 'link', 'show', `c${i}`])));
    const brUp = /state UP/.test(sh('ip', ['netns', 'exec', serverNs, 'ip', 'link', 'show', 'br0']));
    if (forwarding >= hosts.length && clientsUp && brUp) return;
    if (Date.now() > deadline) throw new Error(`test network not forwarding after 5 s:\n${ports}`);
    execFileSync('sleep', ['0.05']);
  }
}

/** Deletes namespaces left by an earlier test process that died (names start with wds-/wdc-). */
export function removeStaleNamespaces(): void {
  if (!canUseNetns()) return;
  const list = sh('ip', ['netns', 'list']);
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0];
    if (!/^wd[sc]-/.test(ns)) continue;
    const pid = parseInt(ns.split('-')[1], 36);
    if (Number.isFinite(pid) && pid !== process.pid && !isAlive(pid)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* ignore */
      }
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
