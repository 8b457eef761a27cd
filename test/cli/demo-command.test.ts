// `warden demo` and `warden demo attack` with wrong arguments: the exact error line and exit 2, before anything starts
// (no nginx, no port, no file under var/demo is touched). The demo itself runs in test/e2e/npm-start.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../enforcer/cli/main.js';
import { renderDemoConf } from '../../enforcer/demo/run-demo.js';

async function warden(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const cases: Array<{ args: string[]; line: string }> = [
  { args: ['demo', 'attack', '--seconds', '0'], line: 'warden demo attack: `--seconds` must be a whole number from 1 to 60, got `0`' },
  { args: ['demo', 'attack', '--seconds', '61'], line: 'warden demo attack: `--seconds` must be a whole number from 1 to 60, got `61`' },
  { args: ['demo', 'attack', '--rate', '5000'], line: 'warden demo attack: `--rate` must be a whole number from 10 to 2000, got `5000`' },
  { args: ['demo', 'attack', '--rate', 'fast'], line: 'warden demo: `--rate` must be a whole number, got `fast`' },
  { args: ['demo', 'attack', '--ip', '203.0.113'], line: 'warden demo attack: `--ip` must be an IPv4 or IPv6 address (e.g. 203.0.113.66), got `203.0.113`' },
  { args: ['demo', 'attack', '--port', '80'], line: 'warden demo attack: `--port` does not apply here' },
  { args: ['demo', '--seconds', '5'], line: 'warden demo: `--seconds` does not apply here' },
  { args: ['demo', '--port', '70000'], line: 'warden demo: `--port` must be from 1 to 65535, got `70000`' },
  { args: ['demo', '--fleet', '9'], line: 'warden demo: `--fleet` must be from 2 to 5 nodes, got `9`' },
  { args: ['demo', '--fleet', '3', '--port', '8088'], line: 'warden demo: `--port` does not apply with `--fleet` (every node gets a free port)' },
  { args: ['demo', 'attack', '--fleet', '3'], line: 'warden demo attack: `--fleet` does not apply here' },
  { args: ['demo', 'attak'], line: 'warden demo: unknown argument `attak` (usage: warden demo [--port N] | warden demo attack)' },
];

for (const c of cases) {
  test(`warden ${c.args.join(' ')}: exit 2 with \`${c.line}\``, async () => {
    const r = await warden(c.args);
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, [c.line]);
    assert.deepEqual(r.out, []);
  });
}

test('the demo nginx.conf template: every placeholder filled, an unknown one refused', () => {
  const conf = renderDemoConf('@LOAD_MODULE@\npid @DIR@/nginx.pid;\nlisten 127.0.0.1:@SITE_PORT@;\nserver 127.0.0.1:@UPSTREAM_PORT@;\n',
    { loadModule: 'load_module m.so;', dir: '/srv/d', sitePort: 8088, upstreamPort: 4000 });
  assert.equal(conf, 'load_module m.so;\npid /srv/d/nginx.pid;\nlisten 127.0.0.1:8088;\nserver 127.0.0.1:4000;\n');
  assert.throws(() => renderDemoConf('listen @SITE_PORT@; @OTHER@', { loadModule: '', dir: '', sitePort: 1, upstreamPort: 2 }),
    /demo\/nginx\.demo\.conf: unknown placeholder @OTHER@/);
});
