// The counts text: round trip, trailing zeros left out, the v2 signals carried, malformed lines skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCounts, encodeCounts } from '../../../enforcer/core/fleet/counts-codec.js';

test('encode/decode: global line first, one line per client, trailing zeros left out, every Counts field carried', () => {
  const text = encodeCounts({ t: 9, global: [30, 2, 1], ips: { '203.0.113.9': [25, 0, 0], '2001:db8::/64': [4, 2, 1, 3, 1], '192.0.2.1': [1, 0, 0, 0, 2] } });
  assert.equal(text, '30,2,1\n203.0.113.9 25\n2001:db8::/64 4,2,1,3,1\n192.0.2.1 1,0,0,0,2');
  const { bucket, skipped } = decodeCounts(9, text);
  assert.equal(skipped, 0);
  assert.deepEqual(bucket.global, [30, 2, 1]);
  assert.deepEqual({ ...bucket.ips }, { '203.0.113.9': [25, 0, 0], '2001:db8::/64': [4, 2, 1, 3, 1], '192.0.2.1': [1, 0, 0, 0, 2] });
});

test('decode skips malformed lines and counts them', () => {
  const { bucket, skipped } = decodeCounts(1, '5\n192.0.2.1 2\nnospace\n192.0.2.2 -1\n192.0.2.3 1,x\n192.0.2.4 3');
  assert.equal(skipped, 3);
  assert.deepEqual(Object.keys(bucket.ips), ['192.0.2.1', '192.0.2.4']);
  assert.deepEqual(bucket.global, [5, 0, 0]);
});
