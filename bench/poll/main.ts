// The daemon's whole poll path in the worst case: one counters answer holding 100,000 distinct addresses in the same
// second, through decodeCounters (counters protocol 2: the njs drain's text, one `key value` line per key) ->
// engine.ingest -> engine.tick, after the 60 s window has filled. A tenth of the clients also have a signal key
// (auth failures / probes). Usage: npm run bench -- poll   (POLL_IPS changes the number of addresses)
import { CountersDecoder } from '../../enforcer/adapters/counters-text.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import { parseConfig } from '../../enforcer/config/load.js';

const ips = Number(process.env.POLL_IPS ?? 100_000);
// One decoder for every poll, as the poller keeps one (clients seen before cost no new strings).
const decoder = new CountersDecoder();
const engine = createEngine(engineConfigFrom(parseConfig({})), { isAllowed: () => false });
const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const body = (t: number): string => {
  const tag = TAGS[t % 64];
  const lines = [`warden-counters 2 ${t + 1}.05 0 0 64`];
  for (let i = 0; i < ips; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`${tag}${ip} ${i % 10 === 0 ? 17179869184 + 131072 : 17179869184}`);
    if (i % 10 === 0) lines.push(`${tag}~${ip} 1`);
  }
  // One flat string, as an HTTP answer's text is (a `+ '\n'` here would make a rope that every read must unwrap).
  lines.push('');
  return lines.join('\n');
};
const T = 1_800_000_000;
const times: Record<'parse' | 'check' | 'ingest' | 'tick', number[]> = { parse: [], check: [], ingest: [], tick: [] };
const rounds = 71;
for (let k = 0; k < rounds; k++) {
  const text = body(T + k);
  let a = performance.now();
  const r = decoder.decode(text);
  times.parse.push(performance.now() - a);
  times.check.push(0);
  a = performance.now();
  engine.ingest(r.buckets);
  times.ingest.push(performance.now() - a);
  a = performance.now();
  engine.tick(T + k + 1);
  times.tick.push(performance.now() - a);
}
// Medians of the polls after the window (60 s) has filled.
const med = (xs: number[]) => [...xs.slice(61)].sort((x, y) => x - y)[5];
const total = med(times.parse) + med(times.check) + med(times.ingest) + med(times.tick);
console.log(`poll path with ${ips} distinct addresses in one second (median of 10 polls after the window filled):`);
console.log(`  decodeCounters ${med(times.parse).toFixed(1)} ms, ` +
  `ingest ${med(times.ingest).toFixed(1)} ms, tick ${med(times.tick).toFixed(1)} ms; total ${total.toFixed(1)} ms`);
console.log(`target: a poll with 100k IPs under 50 ms in this worst case: ${total < 50 ? 'met' : 'NOT met'} (with 100k IPs active in the window but spread over it, see bench/engine)`);
