// Parsing access-log lines: combined and nginx JSON formats, times with offsets, normalised addresses, junk rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLine, parseTimeLocal } from '../../enforcer/replay/parse-line.js';

const T = Date.UTC(2015, 4, 17, 10, 5, 3) / 1000;

test('parseTimeLocal handles offsets and rejects junk', () => {
  assert.equal(parseTimeLocal('17/May/2015:10:05:03 +0000'), T);
  assert.equal(parseTimeLocal('17/May/2015:12:05:03 +0200'), T);
  assert.equal(parseTimeLocal('17/May/2015:05:35:03 -0430'), T);
  assert.equal(parseTimeLocal('17/Foo/2015:10:05:03 +0000'), null);
  assert.equal(parseTimeLocal('2015-05-17T10:05:03Z'), null);
});

test('combined format, including escaped quotes in the request', () => {
  assert.deepEqual(
    parseLine('83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/ HTTP/1.1" 200 203023 "http://x/" "Mozilla/5.0"'),
    { t: T, ip: '83.149.9.216', status: 200, uri: '/presentations/' },
  );
  assert.deepEqual(
    parseLine('2001:DB8::0001 - bob [17/May/2015:10:05:03 +0000] "GET /a\\"b HTTP/1.1" 404 0 "-" "-"'),
    { t: T, ip: '2001:db8::1', status: 404, uri: '/a\\"b' },
  );
  assert.deepEqual(parseLine('::ffff:10.1.2.3 - - [17/May/2015:10:05:03 +0000] "-" 400 0'), { t: T, ip: '10.1.2.3', status: 400 });
  // nginx writes other bytes as \xHH: the URI gets them back, as $request_uri held them.
  assert.equal(parseLine('10.1.2.3 - - [17/May/2015:10:05:03 +0000] "GET /a\\x22b?q=%2e%2e HTTP/1.1" 404 0')?.uri, '/a"b?q=%2e%2e');
  assert.equal(parseLine('{"remote_addr":"203.0.113.9","msec":"1","status":404,"request_uri":"/.env"}')?.uri, '/.env');
  assert.equal(parseLine('{"remote_addr":"203.0.113.9","msec":"1","status":404,"request":"GET /.git/config HTTP/2.0"}')?.uri, '/.git/config');
});

test('nginx escape=json: remote_addr with time_iso8601, time_local or msec; status as string or number', () => {
  assert.deepEqual(parseLine('{"remote_addr":"203.0.113.9","time_iso8601":"2015-05-17T12:05:03+02:00","status":"503"}'), { t: T, ip: '203.0.113.9', status: 503 });
  assert.deepEqual(parseLine('{"remote_addr":"203.0.113.9","time_local":"17/May/2015:10:05:03 +0000","status":200}'), { t: T, ip: '203.0.113.9', status: 200 });
  assert.deepEqual(parseLine(`{"remote_addr":"203.0.113.9","msec":"${T}.734","status":200}`), { t: T, ip: '203.0.113.9', status: 200 });
});

test('not a request: blank, comment, junk, bad address, bad JSON', () => {
  for (const s of [
    '', '   ', '# comment', 'garbage', '999.1.1.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1',
    '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1', '{"remote_addr":"1.2.3.4"', '{"remote_addr":"1.2.3.4","status":200}',
    '{"remote_addr":"fe80::1%eth0","msec":"1","status":200}', '{"remote_addr":"1.2.3.4","msec":"1431857103","status":"abc"}', '[1,2]',
  ]) {
    assert.equal(parseLine(s), null, s);
  }
});
