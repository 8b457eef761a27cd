// CSV export: header, escaping, formula-injection guard, laziness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { banRowsToCsv, csvCell } from '../../enforcer/adapters/store/csv.js';
import type { BanRow } from '../../enforcer/adapters/store/types.js';

const row = (over: Partial<BanRow> = {}): BanRow => ({
  id: 1, ip: '192.0.2.1', started_at: 1_767_225_600, planned_end: null, ended_at: null, step: 1, rule: 'manual', rate: 2.5,
  error_rate: 0, baseline_mean: 5, baseline_stddev: 2, baseline_source: 'rolling', z: -1.5, tightened: 0, source: 'manual',
  reason: null, unban_reason: null, dry_run: 0, ...over,
});

test('header then one CRLF line per row, times also as ISO, null as empty', () => {
  const lines = [...banRowsToCsv([row()])];
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith('id,ip,started_at,started_iso,planned_end,planned_end_iso,ended_at,ended_iso,step,rule,'));
  assert.ok(lines.every((l) => l.endsWith('\r\n')));
  // The last column is the fleet node (empty on a single host).
  assert.equal(lines[1], '1,192.0.2.1,1767225600,2026-01-01T00:00:00.000Z,,,,,1,manual,2.5,0,5,2,rolling,-1.5,0,manual,,,0,\r\n');
  assert.ok(lines[0].endsWith(',dry_run,node\r\n'));
  assert.ok([...banRowsToCsv([row({ node: 'web2' })])][1].endsWith(',0,web2\r\n'));
  assert.equal(lines[0].split(',').length, lines[1].split(',').length);
});

test('formula injection is defused and quoting follows RFC 4180', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('\rx'), '"\'\rx"');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
  assert.equal(csvCell(' padded'), '" padded"');
  assert.equal(csvCell('<script>alert(1)</script>'), '<script>alert(1)</script>');
  assert.equal(csvCell(-1.5), '-1.5', 'numbers are not touched');
  assert.equal(csvCell(Number.NaN), '');
  assert.equal(csvCell(null), '');
  const line = [...banRowsToCsv([row({ reason: '=cmd|" /C calc"!A0', unban_reason: 'a,"b"' })])][1];
  assert.ok(line.includes(`"'=cmd|"" /C calc""!A0"`));
  assert.ok(line.includes('"a,""b"""'));
});

test('lazy: consumes the rows one at a time', () => {
  let pulled = 0;
  function* many(): Generator<BanRow> {
    for (let i = 1; i <= 1_000_000; i++) {
      pulled++;
      yield row({ id: i });
    }
  }
  const it = banRowsToCsv(many());
  it.next();
  it.next();
  it.next();
  assert.equal(pulled, 2);
});
