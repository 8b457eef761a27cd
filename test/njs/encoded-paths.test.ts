// KNOWN GAP (red-team review of ff33fc0, not fixed: the fix changes the sensitive-path list and its cost, the lead's
// call): the path maps read $request_uri as sent, nginx serves the decoded path. A sensitive file requested with a
// percent-encoded character (`/%2eenv`, `/.%65nv`, `/wp-login%2ephp`, `/%2Egit/config`, `/%2f.env`) is served by its
// location and counted by the common handler as an ordinary 2xx: no probe. A 404 for such a path is still a probe (the
// 4xx route), so only hits escape: a leaked .env, a WordPress login brute force (failed logins answer 200). Marked
// `todo` so that it runs and shows the gap without failing the suite; drop `todo` once the sensitive map handles it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

test('a sensitive path with percent-encoded characters is still a probe', { skip, todo: skip ? undefined : 'known gap: the path maps match $request_uri as sent' }, async () => {
  await withNginx({
    workers: 1, httpExtra: trustLoopbackXff,
    servers: [`location / { return 200 "ok\\n"; }
    location /.env { return 200 "SECRET\\n"; }
    location /.git/ { return 200 "gitcfg\\n"; }
    location = /wp-login.php { return 200 "login failed\\n"; }`],
  }, async (ng) => {
    const paths = ['/.env', '/%2eenv', '/.%65nv', '/%2Egit/config', '/wp-login%2ephp', '/%2f.env'];
    const served: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      const res = await fetch(`http://127.0.0.1:${ng.port}${paths[i]}`, { headers: { 'X-Forwarded-For': `192.0.2.${i + 1}` } });
      served.push(`${res.status} ${(await res.text()).trim()}`);
    }
    // nginx serves every one of them from the sensitive location.
    assert.deepEqual(served, ['200 SECRET', '200 SECRET', '200 SECRET', '200 gitcfg', '200 login failed', '200 SECRET']);
    const totals = emptyTotals();
    await drainAll(ng, totals);
    const probes = paths.map((p, i) => `${p}: ${totals.ips[`192.0.2.${i + 1}`]?.[4] ?? 'not counted'}`);
    assert.deepEqual(probes, paths.map((p) => `${p}: 1`));
  });
});
