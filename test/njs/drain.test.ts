// Draining limits: one answer is capped (more:true, nothing lost across answers); unpolled buckets are discarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { decodeCounters, type DecodedCounters } from '../../enforcer/adapters/counters-text.js';
import { addBatch, emptyTotals, sleep, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

async function hit(url: string, ips: string[]): Promise<void> {
  for (let i = 0; i < ips.length; i += 50) {
    await Promise.all(ips.slice(i, i + 50).map(async (ip) => (await fetch(url, { headers: { 'X-Forwarded-For': ip } })).text()));
  }
}

test('an answer is cut at $warden_drain_max keys with more:true; the next answers bring the rest', { skip }, async () => {
  await withNginx({
    workers: 2,
    httpExtra: trustLoopbackXff,
    editWardenConf: (t) => t.replace(/js_var \$warden_drain_max \d+;/, 'js_var $warden_drain_max 100;'),
    servers: ['location / { return 200 "ok\\n"; }'],
  }, async (ng) => {
    const ips = Array.from({ length: 350 }, (_, i) => `198.51.100.${i % 250}`).map((ip, i) => (i < 250 ? ip : `192.0.2.${i - 250}`));
    await hit(ng.url('/'), ips);
    await sleep(1100);
    const totals = emptyTotals();
    const answers: DecodedCounters[] = [];
    for (;;) {
      const b = decodeCounters(await (await ng.internalFetch('/counters?v=2')).text());
      answers.push(b);
      addBatch(totals, b);
      if (!b.more) break;
    }
    assert.deepEqual(answers.map((a) => a.more), [true, true, true, false]);
    assert.deepEqual(answers.map((a) => a.buckets.reduce((n, b) => n + Object.keys(b.ips).length, 0)), [100, 100, 100, 50]);
    assert.equal(Object.keys(totals.ips).length, 350);
    assert.ok(Object.values(totals.ips).every((c) => c.join() === '1,0,0,0,0'));
    assert.equal(totals.global[0], 350);
  });
});

test('when nobody polls, the janitor discards buckets older than $warden_keep_seconds and counts them as dropped', { skip }, async () => {
  await withNginx({
    workers: 2,
    httpExtra: trustLoopbackXff,
    editWardenConf: (t) => t.replace(/js_var \$warden_keep_seconds \d+;/, 'js_var $warden_keep_seconds 2;'),
    servers: ['location / { return 200 "ok\\n"; }'],
  }, async (ng) => {
    await hit(ng.url('/'), Array.from({ length: 40 }, (_, i) => `203.0.113.${i}`));
    // The janitor logs what it discards (in one or, when the requests spanned two seconds, two runs): wait for all 40.
    const discarded = () => [...ng.errorLog().matchAll(/nobody polled \/counters: discarded (\d+) requests/g)].reduce((n, m) => n + Number(m[1]), 0);
    for (const end = Date.now() + 20_000; discarded() < 40 && Date.now() < end;) await sleep(100);
    assert.equal(discarded(), 40, 'the janitor discarded the 40 unpolled requests');
    await hit(ng.url('/'), ['203.0.113.200']);
    await sleep(1100); // past the current second: its bucket is complete
    const totals = emptyTotals();
    addBatch(totals, decodeCounters(await (await ng.internalFetch('/counters?v=2')).text()));
    assert.equal(totals.dropped, 40, 'the 40 unpolled requests were discarded and counted as dropped');
    assert.deepEqual(totals.ips, { '203.0.113.200': [1, 0, 0, 0, 0] });
  });
});
