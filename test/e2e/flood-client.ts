// A flooding client for the end-to-end tests, run inside a client network namespace:
//   node flood-client.js URL SECONDS CONCURRENCY
// Sends requests back to back on keep-alive connections, each with a 300 ms timeout, and prints one JSON line:
// when the first request was sent, when the first request that got no answer was sent (its packets were dropped),
// and how many succeeded/failed. Stops after SECONDS, or 1.5 s after the first failure.
import { Agent, request } from 'node:http';

const [url, secondsArg, concArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const conc = Number(concArg ?? 4);
const agent = new Agent({ keepAlive: true, maxSockets: conc });
const start = Date.now();
let firstSent = 0;
let firstFailSent = 0;
let ok = 0;
let failed = 0;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const sent = Date.now();
    if (!firstSent) firstSent = sent;
    const req = request(url, { agent, timeout: 300 }, (res) => {
      res.resume();
      res.on('end', () => { ok++; resolve(); });
    });
    const fail = () => {
      failed++;
      if (!firstFailSent || sent < firstFailSent) firstFailSent = sent;
      req.destroy();
      resolve();
    };
    req.on('timeout', fail);
    req.on('error', fail);
    req.end();
  });
}

async function worker(): Promise<void> {
  while (Date.now() - start < seconds * 1000 && !(firstFailSent && Date.now() - firstFailSent > 1500)) await one();
}

await Promise.all(Array.from({ length: conc }, worker));
console.log(JSON.stringify({ firstSent, firstFailSent: firstFailSent || null, ok, failed }));
process.exit(0);
