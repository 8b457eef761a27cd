import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('one line per event with ISO time and level; below the level is dropped', () => {
  const lines: string[] = [];
  const log = createLogger('info', (l) => lines.push(l), frozenClock(T0));
  log.debug('hidden');
  log.info('started');
  log.warn('two\nlines');
  log.error('boom');
  assert.deepEqual(lines, [
    '2026-01-01T12:00:00.000Z INFO started\n',
    '2026-01-01T12:00:00.000Z WARN two | lines\n',
    '2026-01-01T12:00:00.000Z ERROR boom\n',
  ]);
});

test('every() logs once per interval per key and counts what it suppressed', () => {
  const lines: string[] = [];
  const clock = frozenClock(T0);
  const log = createLogger('debug', (l) => lines.push(l), clock);
  for (let i = 0; i < 100; i++) {
    log.every('nginx-down', 60_000, 'warn', 'nginx unreachable');
    log.every('webhook', 60_000, 'error', 'webhook dead');
    clock.advance(100);
  }
  assert.equal(lines.length, 2);
  clock.set(T0 + 60_000);
  log.every('nginx-down', 60_000, 'warn', 'nginx unreachable');
  assert.equal(lines.length, 3);
  assert.match(lines[2], /WARN nginx unreachable \(99 similar message\(s\) suppressed\)\n$/);
});

test('a throwing sink never throws into the caller', () => {
  const log = createLogger('info', () => { throw new Error('EPIPE'); });
  assert.doesNotThrow(() => log.error('x'));
});
