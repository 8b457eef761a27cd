// Durations as people write them in config, CLI flags and the API, and as the CLI prints time left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration } from '../../enforcer/config/duration.js';

test('parseDuration reads seconds, unit suffixes and combinations, and rejects the rest', () => {
  assert.equal(parseDuration(90), 90);
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('10m'), 600);
  assert.equal(parseDuration('2h'), 7200);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('30d'), 2_592_000);
  assert.equal(parseDuration(' 1w '), 604_800);
  for (const bad of ['', 'abc', '10x', '-5m', 'h', '1h 30m', null, undefined, {}, -1, Number.NaN, Infinity]) {
    assert.equal(parseDuration(bad), null, `accepted ${JSON.stringify(bad)}`);
  }
});

test('formatDuration prints whole units exactly and never rounds up into the next unit', () => {
  assert.equal(formatDuration(null), 'permanent');
  assert.equal(formatDuration(600), '10m');
  assert.equal(formatDuration(7200), '2h');
  assert.equal(formatDuration(7199), '1h59m');
  assert.equal(formatDuration(3599.6), '59m59s');
  assert.equal(formatDuration(59.9), '59s');
  assert.equal(formatDuration(90000), '1d1h');
  assert.equal(formatDuration(0), '0s');
});
