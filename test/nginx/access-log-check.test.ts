// checkAccessLogs: fixture `nginx -T` text with the expected warnings inline, and real `nginx -T` output from the harness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccessLogs } from '../../enforcer/nginx/access-log-check.js';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';

const fixture = `nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
nginx: configuration file /etc/nginx/nginx.conf test is successful
# configuration file /etc/nginx/nginx.conf:
events {}
http {
    access_log /var/log/nginx/access.log;
    include /etc/nginx/warden/nginx.conf;
    include /etc/nginx/sites-enabled/*;
}

# configuration file /etc/nginx/warden/nginx.conf:
js_set $warden_log warden.log;
access_log /dev/null combined if=$warden_log;
server {
    listen 127.0.0.1:9181;
    access_log off;
    location / { js_content warden.api; }
}

# configuration file /etc/nginx/sites-enabled/blog:
server {
    server_name blog.example.com;            # counted: inherits
    location /static/ {
        access_log off;                      # WARN line 4: location /static/
    }
    location /ok {
        access_log /var/log/ok.log;
        access_log /dev/null combined if=$warden_log;   # counted: condition repeated
    }
}

# configuration file /etc/nginx/sites-enabled/api:
server {
    listen 443 ssl;
    server_name "api.example.com";
    access_log /var/log/api.log json;        # WARN line 4: server api.example.com
    location /v1 {
        access_log /var/log/v1.log;          # not repeated: the server already escapes the count
    }
}
`;

test('fixture: flags the blocks whose own access_log lacks the warden condition, with file and line', () => {
  const w = checkAccessLogs(fixture);
  assert.deepEqual(w.map((x) => [x.file, x.line, x.context]), [
    ['/etc/nginx/sites-enabled/blog', 4, 'server blog.example.com > location /static/'],
    ['/etc/nginx/sites-enabled/api', 4, 'server api.example.com (listen 443)'],
  ]);
  assert.match(w[0].message, /`access_log off` replaces the inherited warden access_log/);
  assert.match(w[1].message, /if=\$warden_log/);
});

test('fixture: no warden include, or access_log off in http, is one warning on the http block', () => {
  const w = checkAccessLogs('# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n  server { listen 80; }\n}\n');
  assert.deepEqual(w.map((x) => [x.line, x.context]), [[2, 'http']]);
  assert.match(w[0].message, /include the warden nginx.conf/);
  const off = checkAccessLogs('http {\n access_log off;\n access_log /dev/null combined if=$warden_log;\n}\n');
  assert.match(off[0].message, /cancels the warden access_log/);
});

test('fixture: comments, quotes and braces inside strings do not confuse the parser', () => {
  const w = checkAccessLogs(`# configuration file /x/nginx.conf:
http {
  access_log /dev/null combined if=$warden_log; # a comment with { and ;
  log_format j '{"a":"$remote_addr";}';
  server { server_name a; location = /x { access_log /tmp/x j; } }
}
`);
  assert.deepEqual(w.map((x) => [x.line, x.context]), [[4, 'server a > location = /x']]);
});

test('real nginx -T of the harness config: only the block with its own access_log is reported', { skip: nginxSkipReason() }, async () => {
  await withNginx({
    workers: 1,
    servers: [
      'server_name counted.test;\n    location / { return 200; }',
      'server_name quiet.test;\n    access_log off;\n    location / { return 200; }',
      'server_name fixed.test;\n    access_log off;\n    access_log /dev/null combined if=$warden_log;\n    location / { return 200; }',
    ],
  }, async (ng) => {
    const dump = ng.dumpConfig();
    assert.match(dump, /# configuration file .*warden\.conf:/);
    const w = checkAccessLogs(dump);
    assert.equal(w.length, 1, JSON.stringify(w));
    assert.equal(w[0].file, `${ng.dirInNginx}/nginx.conf`);
    assert.match(w[0].context, /^server quiet\.test \(listen 127\.0\.0\.1:\d+\)$/);
  });
});
