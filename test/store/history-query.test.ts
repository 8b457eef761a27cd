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
  assert.equal(v4.where, 'ip_key BETWEEN @ipLo AND @ipHi');
  assert.deepEqual(v4.params, { ipLo: '00000000000000000000ffffcb007100', ipHi: '00000000000000000000ffffcb0071ff' });
  const v6 = buildHistoryQuery({ ip: '2001:db8::/32' });
  assert.deepEqual(v6.params, { ipLo: '20010db8000000000000000000000000', ipHi: '20010db8ffffffffffffffffffffffff' });
  const one = buildHistoryQuery({ ip: '::ffff:203.0.113.7' });
  assert.equal(one.where, 'ip_key = @ipKey');
  assert.deepEqual(one.params, { ipKey: '00000000000000000000ffffcb007107' });
});

test('every value is a parameter; user text never reaches the SQL', () => {
  const q = buildHistoryQuery({ since: 10, until: 20, rule: 'manual', source: 'manual', activeOnly: true, sort: 'ip', order: 'asc', limit: 1000, offset: 5 });
  assert.equal(q.where, 'started_at >= @since AND started_at < @until AND rule = @rule AND source = @source AND ended_at IS NULL');
  assert.equal(q.orderBy, 'ip_key ASC, started_at ASC, id ASC');
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
