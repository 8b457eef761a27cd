// A paced flooding client for the fleet tests, run inside a client namespace:
//   node fleet-flood-client.js RATE SECONDS URL...
// Sends RATE requests/s to each URL (each request with a 300 ms timeout) and prints one JSON line: per URL, when the
// first request was sent, when the first request that got no answer was sent (its packets were dropped), and how many
// were answered. Stops after SECONDS, or 1.5 s after every URL has stopped answering.
import { Agent, request } from 'node:http';

const [rateArg, secondsArg, ...urls] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const start = Date.now();
const state = urls.map(() => ({ firstSent: 0, firstFailSent: 0, ok: 0, failed: 0 }));
const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: 8 }));

function one(i: number): void {
  const s = state[i];
  const sent = Date.now();
  if (!s.firstSent) s.firstSent = sent;
  const req = request(urls[i], { agent: agents[i], timeout: 300 }, (res) => {
    res.resume();
    res.on('end', () => { s.ok++; });
  });
  const fail = () => {
    s.failed++;
    if (!s.firstFailSent || sent < s.firstFailSent) s.firstFailSent = sent;
    req.destroy();
  };
  req.on('timeout', fail);
  req.on('error', fail);
  req.end();
}

const every = 1000 / rate;
let n = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = Date.now();
    const allFailed = state.every((s) => s.firstFailSent && now - s.firstFailSent > 1500);
    if (now - start > seconds * 1000 || allFailed) return resolve();
    // Catch up to the schedule (timers drift), never more than one second's worth at once.
    const due = Math.min(Math.floor((now - start) / every) + 1, n + rate);
    for (; n < due; n++) for (let i = 0; i < urls.length; i++) if (!state[i].firstFailSent) one(i);
    setTimeout(tick, Math.max(1, every / 2));
  };
  tick();
});
await new Promise((r) => setTimeout(r, 400));
console.log(JSON.stringify(state.map((s, i) => ({ url: urls[i], ...s, firstFailSent: s.firstFailSent || null }))));
process.exit(0);
