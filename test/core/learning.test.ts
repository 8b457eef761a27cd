// The learning period: relative rules alert until enough history (or a filled hour slot); then it stays ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LearningPeriod } from '../../enforcer/core/learning.js';

test('learning ends after the learning period of history and stays ended', () => {
  const l = new LearningPeriod({ learningPeriod: 600, hourSlotMinSamples: 600, hourlySlots: true });
  assert.deepEqual(l.update(0, 0), { learning: true, progress: 0 });
  assert.deepEqual(l.update(300, 10), { learning: true, progress: 0.5 });
  assert.equal(l.learning, true);
  assert.deepEqual(l.update(600, 0), { learning: false, progress: 1, reason: 'history' });
  assert.equal(l.update(0, 0).learning, false);
  assert.equal(l.learning, false);
});

test('a filled hour slot (restored at start) ends learning at once; not when hourly slots are off', () => {
  const l = new LearningPeriod({ learningPeriod: 600, hourSlotMinSamples: 600, hourlySlots: true });
  assert.deepEqual(l.update(5, 3600), { learning: false, progress: 1, reason: 'hour_slot' });
  const off = new LearningPeriod({ learningPeriod: 600, hourSlotMinSamples: 600, hourlySlots: false });
  assert.equal(off.update(5, 3600).learning, true);
});

test('a learning period of 0 means no learning period', () => {
  const l = new LearningPeriod({ learningPeriod: 0, hourSlotMinSamples: 600, hourlySlots: true });
  assert.equal(l.learning, false);
  assert.deepEqual(l.update(0, 0), { learning: false, progress: 1, reason: 'off' });
});
