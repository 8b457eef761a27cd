// `warden replay` on a hostile log: terminal escapes in a line are printed escaped, and a 600 MB line (it used to crash
// with RangeError: Invalid string length) is skipped and counted without being held whole (a sparse file: no disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';
import { readLog, MAX_LINE_BYTES } from '../../enforcer/replay/read-log.js';

const good = '192.0.2.1 - - [01/Jan/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"';

test('an overlong line is skipped and counted; escapes in skipped lines are printed escaped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'access.log');
  const fd = openSync(file, 'w');
  writeSync(fd, `${good}\n\u001b]0;pwned\u0007\u001b[2J garbage line\n`);
  closeSync(fd);
  truncateSync(file, statSync(file).size + 600 * 1024 * 1024);
  appendFileSync(file, `\n${good}\n`);

  const r = await readLog(file);
  assert.equal(r.events.length, 2);
  assert.equal(r.overlong, 1);
  assert.equal(r.skipped, 2);
  assert.match(r.skippedSamples[1].text, new RegExp(`a line longer than ${MAX_LINE_BYTES} bytes`));

  const out: string[] = [];
  await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], out: (l) => out.push(l) });
  const text = out.join('\n');
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no raw control characters in the output');
  assert.match(text, /\\x1b\]0;pwned\\x07\\x1b\[2J garbage line/);
  assert.match(text, /1 line\(s\) longer than \d+ bytes skipped/);
});
