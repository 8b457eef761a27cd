// The ban ladder and the offence book.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ladderDuration, OffenceBook } from '../../enforcer/core/ladder.js';

test('ladderDuration: each offence climbs one step; the last step repeats', () => {
  const ladder = [600, 1800, 7200, null];
  assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => ladderDuration(ladder, n)), [600, 1800, 7200, null, null, null]);
  assert.equal(ladderDuration([300], 3), 300);
  assert.equal(ladderDuration(ladder, 0), 600);
});

test('OffenceBook counts offences within memory, forgets older ones, restores and prunes', () => {
  const book = new OffenceBook(1000);
  assert.equal(book.record('a', 0), 1);
  assert.equal(book.record('a', 900), 2);
  assert.equal(book.record('a', 1800), 3); // within 1000 s of the last one
  assert.equal(book.count('a', 2801), 0);
  assert.equal(book.record('a', 2900), 1);
  book.restore([{ ip: 'b', count: 3, lastAt: 2000 }]);
  assert.equal(book.count('b', 2500), 3);
  book.prune(3100);
  assert.equal(book.size, 1);
});
