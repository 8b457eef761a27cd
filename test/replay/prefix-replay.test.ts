// `warden replay` judges an IPv6 client as nginx counts it: its prefix (detection.ipv6_prefix). A client rotating through
// the addresses of one /64 is one client, banned as the /64 (`--json` prints the CIDR as `ip`); with prefix 128 each
// address is on its own and none is banned. A /64 holding an allow-listed address is spared and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0) / 1000;
const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', '+00:00');

/** A JSON access log: 10 s of 40 requests a second, each from a new address of 2001:db8:ee:7::/64, plus a quiet IPv4 reader. */
function rotatingLog(file: string): void {
  const out: string[] = [];
  let n = 0;
  for (let t = START; t < START + 10; t++) {
    out.push(JSON.stringify({ time_iso8601: iso(t), remote_addr: '192.0.2.1', request: 'GET / HTTP/1.1', status: '200' }));
    for (let k = 0; k < 40; k++) {
      n++;
      const addr = `2001:db8:ee:7:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}:0:1`;
      out.push(JSON.stringify({ time_iso8601: iso(t), remote_addr: addr, request: 'GET /page HTTP/1.1', status: '200' }));
    }
  }
  writeFileSync(file, out.join('\n') + '\n');
}

async function replay(config: Record<string, unknown>): Promise<{ lines: Array<Record<string, unknown>>; ips: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replay-prefix-'));
  try {
    const file = join(dir, 'access.log');
    rotatingLog(file);
    const out: string[] = [];
    const s = await runReplay({ file, config: parseConfig(config, {}), hostAddresses: [], json: true, out: (l) => out.push(l) });
    return { lines: out.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => !('summary' in o)), ips: s.ips };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('replay: 400 addresses of one /64 are one client, banned as the /64; per address (128) nobody is banned', async () => {
  const per64 = await replay({});
  assert.equal(per64.ips, 2, 'the /64 and the IPv4 reader');
  const bans = per64.lines.filter((l) => l.action === 'ban');
  assert.deepEqual(bans.map((b) => b.ip), ['2001:db8:ee:7::/64']);
  const per128 = await replay({ detection: { ipv6_prefix: 128 } });
  assert.equal(per128.ips, 401);
  assert.deepEqual(per128.lines.filter((l) => l.action === 'ban'), []);
  const per48 = await replay({ detection: { ipv6_prefix: 48 } });
  assert.deepEqual(per48.lines.filter((l) => l.action === 'ban').map((b) => b.ip), ['2001:db8:ee::/48']);
});

test('replay: a /64 holding an allow-listed address is spared, not banned', async () => {
  const r = await replay({ allowlist: ['2001:db8:ee:7::abc'] });
  assert.deepEqual(r.lines.filter((l) => l.action === 'ban'), []);
  const spared = r.lines.filter((l) => l.action === 'spared');
  assert.equal(spared.length, 1);
  assert.equal(spared[0].ip, '2001:db8:ee:7::/64');
  assert.equal(spared[0].reason, 'allowlisted_inside');
});
