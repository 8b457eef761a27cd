// The pure filter -> SQL builder: bound parameters only, whitelisted ORDER BY, CIDRs as ip_key ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHistoryQuery, DEFAULT_LIMIT } from '../../enforcer/adapters/store/history-query.js';
import { HistoryFilterError } from '../../enforcer/adapters/store/errors.js';

test('defaults: no WHERE, newest first, limit 50, offset 0', () => {
  assert.deepEqual(buildHistoryQuery({}), { where: '', orderBy: 'started_at DESC, id DESC', params: {}, limit: DEFAULT_LIMIT, offset: 0 });
});

test('an IPv4 CIDR, an IPv6 CIDR and an exact address become ip_key conditions with bound keys', () => {
  const v4 = buildHistoryQuery({ ip: '203.0.113.0/24' });
  // Inside: a range on ip_key with at least the searched prefix length; covering: one equality per shorter prefix.
  assert.match(v4.where, /^\(\(ip_key BETWEEN @ipLo AND @ipHi AND prefix_len >= @ipLen\) OR \(prefix_len = 96 AND ip_key = @cov0\) OR /);
  assert.match(v4.where, /\(prefix_len = 119 AND ip_key = @cov23\)\)$/);
  assert.equal(v4.params.ipLo, '00000000000000000000ffffcb007100');
  assert.equal(v4.params.ipHi, '00000000000000000000ffffcb0071ff');
  assert.equal(v4.params.ipLen, 120);
  assert.equal(v4.params.cov23, '00000000000000000000ffffcb007000', '203.0.112.0/23 covers 203.0.113.0/24');
  const v6 = buildHistoryQuery({ ip: '2001:db8::/32' });
  assert.equal(v6.params.ipLo, '20010db8000000000000000000000000');
  assert.equal(v6.params.ipHi, '20010db8ffffffffffffffffffffffff');
  assert.equal(v6.params.ipLen, 32);
  const one = buildHistoryQuery({ ip: '::ffff:203.0.113.7' });
  assert.match(one.where, /^\(\(ip_key = @ipKey AND prefix_len = 128\) OR \(prefix_len = 96 AND ip_key = @cov0\) OR /);
  assert.equal(one.params.ipKey, '00000000000000000000ffffcb007107');
  assert.equal(Object.keys(one.params).length, 1 + 32);
  assert.equal(Object.keys(buildHistoryQuery({ ip: '2001:db8::1' }).params).length, 1 + 128);
  assert.equal(buildHistoryQuery({ ip: '10.0.0.1/32' }).params.ipKey, '00000000000000000000ffff0a000001', 'a /32 is the address');
});

test('every value is a parameter; user text never reaches the SQL', () => {
  const q = buildHistoryQuery({ since: 10, until: 20, rule: 'manual', source: 'manual', activeOnly: true, sort: 'ip', order: 'asc', limit: 1000, offset: 5 });
  assert.equal(q.where, 'started_at >= @since AND started_at < @until AND rule = @rule AND source = @source AND ended_at IS NULL');
  assert.equal(q.orderBy, 'ip_key ASC, prefix_len ASC, started_at ASC, id ASC');
  assert.deepEqual(q.params, { since: 10, until: 20, rule: 'manual', source: 'manual' });
  assert.deepEqual([q.limit, q.offset], [1000, 5]);
  assert.equal(buildHistoryQuery({ activeOnly: false }).where, '');
  assert.equal(buildHistoryQuery({ format: undefined } as never).where, '', 'an unknown key left undefined is ignored');
});

test('bad values throw HistoryFilterError with the house message format', () => {
  assert.throws(() => buildHistoryQuery({ sort: 'rate DESC; --' as never }), (e: unknown) => {
    assert.ok(e instanceof HistoryFilterError);
    assert.equal(e.field, 'sort');
    assert.equal(e.message, 'Expected `sort` to be one of started_at, ip, rate, z, planned_end, got `"rate DESC; --"`');
    return true;
  });
  assert.throws(() => buildHistoryQuery({ ip: '1.2.3.4/99' }), /^HistoryFilterError: Expected `ip` to be an IP address or CIDR, got `"1.2.3.4\/99"`$/);
  assert.throws(() => buildHistoryQuery(null as never), HistoryFilterError);
  assert.throws(() => buildHistoryQuery([] as never), HistoryFilterError);
});
