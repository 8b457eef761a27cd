// Simulated fleet nodes for the fleet bench, in their own process (so their CPU is not the decider's): NODES nodes
// each publish CLIENTS clients' counts every second, from a recorded sample, as a real node does (one pipelined round
// trip with the heartbeat). Usage: node publishers.js REDIS_PORT NODES CLIENTS SECONDS
import { parseConfig } from '../../enforcer/config/load.js';
import { createValkeyLink } from '../../enforcer/adapters/fleet/valkey-link.js';
import { recordNode } from './recording.js';

const [port, nodes, clients, seconds] = process.argv.slice(2).map(Number);
const link = createValkeyLink(parseConfig({ fleet: { url: `redis://127.0.0.1:${port}` } }).fleet!, { info: () => {}, warn: () => {} });
if (!(await link.connect(3000))) throw new Error('no server');
const recordings = Array.from({ length: nodes }, (_, n) => recordNode(n, clients, 5));
const end = Date.now() + seconds * 1000;
let sec = Math.floor(Date.now() / 1000);
while (Date.now() < end) {
  const now = Math.floor(Date.now() / 1000);
  for (; sec < now; sec++) {
    await Promise.all(recordings.map((r, n) => link.publishCounts(`sim${n}`, [{ t: sec, text: r[sec % r.length] }], 75,
      JSON.stringify({ v: 1, role: 'follower', seen: Date.now(), lag: null, rate: clients * 2, bans: 0, queued: 0 }))));
  }
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 60));
}
await link.close();
process.exit(0);
