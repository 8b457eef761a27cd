#!/usr/bin/env bash
# Instructions per drained key: one GET /counters on the internal listener after N distinct addresses were counted,
# minus the same run without the drain (callgrind, so independent of machine load); and what signing the answer adds
# (a signed request, as the daemon sends, against the raw secret, whose answer is not signed). Usage (root, after
# `npm run build` and a test run that made .cache/nginx-trixie): bash bench/overhead/callgrind-drain.sh [N=5000]
# It copies the trixie root to a scratch folder, installs valgrind there, and removes the copy at the end.
# njs 1.0 and QuickJS: CALLGRIND_ROOT=sid [JS_ENGINE=qjs] bash bench/overhead/callgrind-drain.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
NAME=callgrind-drain
# shellcheck source=bench/overhead/callgrind-root.sh
. bench/overhead/callgrind-root.sh
cp dist/njs/warden.js dist/njs/warden-internal.js "$R/srv/x/"
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

DRAIN_MAX=$(( N > 20000 ? N : 20000 ))

# run DRAIN: total instructions of an nginx that counted N distinct addresses (pipelined), then drained once:
# not at all (0), with the raw secret (1: unsigned answer), signed as the daemon signs (2: signed answer)
run() {
  local dr=$1 rd="/srv/x/run-$1"; port=$((port + 2)); local iport=$((port + 1))
  mkdir -p "$R$rd"
  cat > "$R$rd/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
daemon off; master_process off; worker_processes 1; pid $rd/pid; error_log $rd/err.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path /tmp; proxy_temp_path /tmp; fastcgi_temp_path /tmp; uwsgi_temp_path /tmp; scgi_temp_path /tmp;
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For; keepalive_requests 1000000;
  $ENGINE_LINE
  js_shared_dict_zone zone=warden_counts:16m type=number; js_shared_dict_zone zone=warden_meta:1m type=number;
  js_shared_dict_zone zone=warden_bans:1m type=number;
  js_path "/srv/x/"; js_import warden from warden.js; js_set \$warden_log warden.0; access_log /dev/null combined if=\$warden_log;
  js_var \$warden_drain_max $DRAIN_MAX; js_var \$warden_keep_seconds 30; js_var \$warden_ipv6_prefix 64;
  js_var \$warden_secret "$SECRET";
  server { listen 127.0.0.1:$port; location /r { return 200 "ok\n"; } location /q { access_log off; return 200; } }
  server { listen 127.0.0.1:$iport; access_log off; js_import warden_internal from warden-internal.js;
    location / { js_content warden_internal.api; } }
}
CONF
  chroot "$R" valgrind --tool=callgrind --callgrind-out-file="$rd/cg.out" /usr/sbin/nginx -c "$rd/nginx.conf" >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 1 300); do kill -0 "$vp" 2>/dev/null || break; curl -s -o /dev/null "http://127.0.0.1:$port/q" && break; sleep 0.2; done
  node -e '
    const [port, n] = process.argv.slice(1).map(Number);
    const s = require("net").connect(port, "127.0.0.1"); let seen = 0; s.setEncoding("latin1");
    s.on("data", (d) => { seen += (d.match(/HTTP\/1\.1 /g) || []).length; if (seen >= n) s.end(); });
    const reqs = []; for (let i = 0; i < n; i++) reqs.push(`GET /r HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.${2 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}\r\n\r\n`);
    s.write(reqs.join(""));' "$port" "$N"
  sleep 1.2
  if [ "$dr" = 1 ]; then
    curl -s -o "$R$rd/body" -H "X-Warden-Secret: $SECRET" "http://127.0.0.1:$iport/counters?v=2"
    echo "raw-secret drain: $(wc -l < "$R$rd/body") lines, $(wc -c < "$R$rd/body") bytes" >&2
  fi
  if [ "$dr" = 2 ]; then
    local auth
    auth=$(node -e '
      const ts = Date.now(); const h = require("crypto").createHmac("sha256", process.argv[1])
        .update(`warden-request-1\nGET\n/counters?v=2\nbench\n${ts}\n`).digest("hex");
      console.log(`bench ${ts} ${h}`);' "$SECRET")
    curl -s -D "$R$rd/headers" -o "$R$rd/body" -H "X-Warden-Auth: $auth" "http://127.0.0.1:$iport/counters?v=2"
    grep -qi '^x-warden-auth: [0-9a-f]\{64\}' "$R$rd/headers" || echo "signed drain: no signed answer" >&2
    echo "signed drain: $(wc -l < "$R$rd/body") lines, $(wc -c < "$R$rd/body") bytes" >&2
  fi
  kill -QUIT "$(pgrep -f "nginx -c $rd/" | head -1)"
  wait "$vp" || true
  grep -E '^(summary|totals):' "$R$rd/cg.out" | head -1 | awk '{print $2}'
}

a=$(run 0)
b=$(run 1)
c=$(run 2)
echo "drain: $(( (b - a) / N )) instructions per drained key (one GET /counters of ${N} keys; callgrind; $(basename "$src"), js_engine $JS_ENGINE)"
echo "signing: $(( c - b )) instructions for checking the request and signing the answer of ${N} keys ($(( (c - b) / N )) per key)"
