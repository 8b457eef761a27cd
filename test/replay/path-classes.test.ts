// Replay reads the path classes from nginx.conf's maps: the shipped include, and the include of older versions (where
// $warden_static was 0/1 rather than the handler to run), classify the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathClassesOf, requestCounts } from '../../enforcer/replay/path-classes.js';
import { repoRoot } from '../harness/nginx.js';

test('the shipped nginx.conf and an older one with a 0/1 $warden_static give the same classes', () => {
  const now = pathClassesOf(readFileSync(join(repoRoot, 'nginx.conf'), 'utf8'));
  const older = pathClassesOf(readFileSync(join(repoRoot, 'nginx.conf'), 'utf8')
    .replace(/^map \$request_uri \$warden_static \{\n {4}default {2}\$warden_log_4xx_other;\n( {4}"[^\n]+") \$warden_log_any;/m,
      'map $request_uri $warden_static {\n    default 0;\n$1 1;'));
  const cases: Array<[number, string, number[]]> = [
    [404, '/static/x.png', [1, 1, 0, 0, 0]],
    [404, '/app.css?v=3', [1, 1, 0, 0, 0]],
    [404, '/missing/page', [1, 1, 0, 0, 1]],
    [404, '/.env', [1, 1, 0, 0, 1]],
    [200, '/.env', [1, 0, 0, 0, 1]],
    [401, '/login', [1, 1, 0, 1, 0]],
    [401, '/wp-login.php', [1, 1, 0, 1, 1]],
    [200, '/', [1, 0, 0, 0, 0]],
    [499, '/core/preview?fileId=1', [1, 1, 0, 0, 0]], // the client gave up: a 4xx, not a probe (as nginx counts it)
    [499, '/.env', [1, 1, 0, 0, 1]],                   // ...but a sensitive path stays a probe whatever its status
    [200, '/wp-login%2ephp', [1, 0, 0, 0, 1]],          // encoded past the list: still a probe
    [200, '/%2f.env', [1, 0, 0, 0, 1]],
    [207, '/remote.php/dav/files/a/.git/config', [1, 0, 0, 0, 0]], // a sync client's own files
    [404, '/remote.php/dav/files/a/.env', [1, 1, 0, 0, 0]],          // ...also missing ones (nginx's general handler)
    [200, '/apps/files/?dir=/p/.git', [1, 0, 0, 0, 1]],  // the query is checked too (one page load: one probe)
    [207, '/cloud/remote.php/webdav/a/../../.env', [1, 0, 0, 0, 1]], // climbing out of WebDAV: a probe
    [404, '/x?file=../../etc/passwd', [1, 1, 0, 0, 1]], // traversal counts in the query too
  ];
  for (const classes of [now, older]) {
    for (const [status, uri, want] of cases) assert.deepEqual(requestCounts(classes, status, uri), want, `${status} ${uri}`);
  }
  assert.equal(now.isStatic('/static/x.png'), true);
  assert.equal(older.isStatic('/static/x.png'), true);
  assert.equal(now.isStatic('/page'), false);
});
