// The daemon's whole poll path in the worst case: one counters answer holding 100,000 distinct addresses in the same
// second, through the counters decoder (counters protocol 2: the njs drain's text, one `key value` line per key) ->
// engine.ingest -> engine.tick, after the 60 s window has filled. A tenth of the clients also have a signal key
// (auth failures / probes). Each answer is bytes turned into text as the HTTP client does (one flat string), outside the
// timed phases.
// Usage: npm run bench -- poll   (POLL_IPS changes the number of addresses; POLL_DIST=/path/to/dist runs another build's
// decoder and engine, e.g. the main branch's, for a before/after on the same machine in the same minute;
// `node --expose-gc dist/bench/poll/main.js` reads memory after a full collection)
import { resolve } from 'node:path';

type CountersModule = typeof import('../../enforcer/adapters/counters-text.js');
type EngineModule = typeof import('../../enforcer/core/engine.js');
type LoadModule = typeof import('../../enforcer/config/load.js');

const ips = Number(process.env.POLL_IPS ?? 100_000);
const dist = process.env.POLL_DIST ? resolve(process.env.POLL_DIST) : null;
const from = <T>(rel: string, own: () => Promise<T>): Promise<T> => (dist ? import(`${dist}/${rel}`) as Promise<T> : own());
const counters = await from<CountersModule>('enforcer/adapters/counters-text.js', () => import('../../enforcer/adapters/counters-text.js'));
const { createEngine, engineConfigFrom } = await from<EngineModule>('enforcer/core/engine.js', () => import('../../enforcer/core/engine.js'));
const { parseConfig } = await from<LoadModule>('enforcer/config/load.js', () => import('../../enforcer/config/load.js'));

// One decoder for every poll, as the poller keeps one (clients seen before cost no new strings); a build without it
// (before this change) decodes each answer on its own.
const decoder: { decode: CountersModule['decodeCounters'] } = typeof counters.CountersDecoder === 'function'
  ? new counters.CountersDecoder() : { decode: counters.decodeCounters };
const engine = createEngine(engineConfigFrom(parseConfig({})), { isAllowed: () => false });

const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const T = 1_800_000_000;
// The answer's bytes are written once; each poll only sets its second's tag at the start of every line and the header's
// time (same width), then turns the bytes into text as fetch does: no garbage of the bench's own between polls, which
// would otherwise be collected inside the timed phases.
const buf = Buffer.alloc(64 + ips * 64);
const header = (t: number) => `warden-counters 2 ${t + 1}.05 0 0 64\n`;
let size = buf.write(header(T), 0, 'latin1');
const lineStarts: number[] = [];
const put = (s: string) => {
  lineStarts.push(size);
  size += buf.write(s, size, 'latin1');
};
for (let i = 0; i < ips; i++) {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  put(`A${ip} ${i % 10 === 0 ? 17179869184 + 131072 : 17179869184}\n`);
  if (i % 10 === 0) put(`A~${ip} 1\n`);
}
const utf8 = new TextDecoder();
/** The njs drain's answer for second t, as the daemon's fetch hands it over (bytes decoded to one string). */
const answer = (t: number): string => {
  buf.write(header(t), 0, 'latin1');
  const tag = TAGS.charCodeAt(t % 64);
  for (const at of lineStarts) buf[at] = tag;
  return utf8.decode(buf.subarray(0, size));
};

const phases = ['parse', 'ingest', 'tick'] as const;
const wall: Record<(typeof phases)[number], number[]> = { parse: [], ingest: [], tick: [] };
const cpu: Record<(typeof phases)[number], number[]> = { parse: [], ingest: [], tick: [] };
const rounds = 71;
const rssBefore = process.memoryUsage().rss;
const timed = <R>(phase: (typeof phases)[number], fn: () => R): R => {
  const c = process.cpuUsage();
  const a = performance.now();
  const r = fn();
  wall[phase].push(performance.now() - a);
  const d = process.cpuUsage(c);
  cpu[phase].push((d.user + d.system) / 1000);
  return r;
};
for (let k = 0; k < rounds; k++) {
  const text = answer(T + k);
  const r = timed('parse', () => decoder.decode(text));
  timed('ingest', () => engine.ingest(r.buckets));
  timed('tick', () => engine.tick(T + k + 1));
}
// Medians (and minimums) of the polls after the window (60 s) has filled.
const after = (xs: number[]) => xs.slice(61).sort((x, y) => x - y);
const med = (xs: number[]) => after(xs)[Math.floor(after(xs).length / 2)];
const min = (xs: number[]) => after(xs)[0];
const total = phases.reduce((s, p) => s + med(wall[p]), 0);
// With --expose-gc, memory is read after a full collection (what the windows hold, not the last polls' garbage).
(globalThis as { gc?: () => void }).gc?.();
const mem = process.memoryUsage();
console.log(`poll path with ${ips} distinct addresses in one second (median of 10 polls after the window filled)` +
  `${dist ? ` [${dist}]` : ''}:`);
console.log(`  decode ${med(wall.parse).toFixed(1)} ms, ingest ${med(wall.ingest).toFixed(1)} ms, tick ${med(wall.tick).toFixed(1)} ms; ` +
  `total ${total.toFixed(1)} ms`);
console.log(`  fastest poll's phases: decode ${min(wall.parse).toFixed(1)}, ingest ${min(wall.ingest).toFixed(1)}, ` +
  `tick ${min(wall.tick).toFixed(1)} ms; process CPU (median, GC threads included): ` +
  `${phases.map((p) => med(cpu[p]).toFixed(1)).join(' + ')} ms`);
console.log(`  memory with ${ips} clients in the window: RSS ${(mem.rss / 1e6).toFixed(0)} MB (${(rssBefore / 1e6).toFixed(0)} MB at ` +
  `start), JS heap ${(mem.heapUsed / 1e6).toFixed(0)} MB, typed arrays and buffers ${(mem.arrayBuffers / 1e6).toFixed(0)} MB`);
console.log(`target: a poll with 100k IPs under 50 ms in this worst case: ${total < 50 ? 'met' : 'NOT met'} (with 100k IPs active in the window but spread over it, see bench/engine)`);
