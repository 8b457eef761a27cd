// The sensitive-path map reads $request_uri as sent, and nginx serves the decoded path: a sensitive file asked for with
// a percent-encoded character (`/%2eenv`, `/.%65nv`, `/wp-login%2ephp`, `/%2f.env`) must still be a probe (it was
// counted as an ordinary 2xx: a leaked .env, a WordPress login brute force whose failed logins answer 200, went
// unseen). And what real clients send must not be: a Nextcloud sync client moving its user's `.git/config` or `*.bak`
// through WebDAV, UTF-8 names, spaces, `~`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

test('a sensitive path with percent-encoded characters is a probe; WebDAV files, queries and ordinary encodings are not', { skip }, async () => {
  await withNginx({
    workers: 1, httpExtra: trustLoopbackXff,
    servers: [`location / { return 200 "ok\\n"; }
    location /.env { return 200 "SECRET\\n"; }
    location /.git/ { return 200 "gitcfg\\n"; }
    location = /wp-login.php { return 200 "login failed\\n"; }
    location /remote.php/ { return 207 "multistatus\\n"; }
    location /cloud/remote.php/ { return 207 "multistatus\\n"; }`],
  }, async (ng) => {
    const cases: Array<[string, number, string]> = [
      // [path as sent, probes expected, what nginx answers]
      ['/.env', 1, '200 SECRET'],
      ['/%2eenv', 1, '200 SECRET'],
      ['/.%65nv', 1, '200 SECRET'],
      ['/%2Egit/config', 1, '200 gitcfg'],
      ['/wp-login%2ephp', 1, '200 login failed'],
      ['/%2f.env', 1, '200 SECRET'],
      ['/remote.php/dav/files/alice/project/.git/config', 0, '207 multistatus'],
      ['/remote.php/webdav/site/wp-config.php', 0, '207 multistatus'],
      ['/cloud/remote.php/dav/files/bob/db/dump.sql', 0, '207 multistatus'],
      ['/remote.php/dav/files/alice/../../../etc/passwd', 1, ''],
      // The query is checked too (so is `?file=../../etc/passwd`): a page load naming a dot-folder is one probe, far
      // below probing.max_probes; the sync traffic itself goes through the WebDAV prefix.
      ['/index.php/apps/files/?dir=/project/.git', 1, '200 ok'],
      ['/files/caf%C3%A9%20menu.txt', 0, '200 ok'],
      ['/~alice/%7Enotes', 0, '200 ok'],
      ['/search?q=%41%42', 0, '200 ok'],
    ];
    const served: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const res = await fetch(`http://127.0.0.1:${ng.port}${cases[i][0]}`, { headers: { 'X-Forwarded-For': `192.0.2.${i + 1}` } });
      served.push(cases[i][2] === '' ? '' : `${res.status} ${(await res.text()).trim()}`);
    }
    // nginx serves each from the location its decoded path names.
    assert.deepEqual(served, cases.map((c) => c[2]));
    const totals = emptyTotals();
    await drainAll(ng, totals);
    const probes = cases.map((c, i) => `${c[0]}: ${totals.ips[`192.0.2.${i + 1}`]?.[4] ?? 'not counted'}`);
    assert.deepEqual(probes, cases.map((c) => `${c[0]}: ${c[1]}`));
  });
});
