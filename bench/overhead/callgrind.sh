#!/usr/bin/env bash
# Instructions per request in nginx, counted by callgrind (independent of machine load), for: plain nginx, a no-op
# log-phase js_set (njs's per-request VM), and the warden per-request module (dist/njs/warden.js).
# Usage (root, after `npm run build` and a test run that made .cache/nginx-trixie): bash bench/overhead/callgrind.sh
# It copies the trixie root to a scratch folder, installs valgrind there, and removes the copy at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=.cache/nginx-trixie
[ -x "$src/usr/sbin/nginx" ] || { echo "callgrind: $src missing: run the tests once first (they build it)"; exit 1; }
[ -f dist/njs/warden.js ] || { echo "callgrind: dist/njs/warden.js missing: npm run build"; exit 1; }
R=$(mktemp -d /tmp/warden-callgrind-XXXX)
cleanup() { umount "$R/proc" 2>/dev/null || true; rm -rf "$R"; }
trap cleanup EXIT
cp -a "$src/." "$R/"
chroot "$R" apt-get update -qq >/dev/null && chroot "$R" apt-get install -y -qq valgrind >/dev/null
mount --bind /proc "$R/proc"
mkdir -p "$R/srv/x"
printf "function log(r) { return ''; }\nexport default { log };\n" > "$R/srv/x/noop.js"
cp dist/njs/warden.js "$R/srv/x/warden.js"
port=$((20000 + RANDOM % 20000))

# count MODULE N: total instructions of an nginx that served N requests (MODULE '' = no njs handler at all)
count() {
  local m=$1 n=$2 d="$R/srv/x/run-$1-$2"; port=$((port + 1))
  mkdir -p "$d"
  local js=''
  [ -n "$m" ] && js="js_path \"/srv/x/\"; js_import m from $m.js; js_set \$m_log m.log; access_log /dev/null combined if=\$m_log;"
  cat > "$d/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
daemon off; master_process off; worker_processes 1; pid /srv/x/run-$m-$n/pid; error_log /srv/x/run-$m-$n/err.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path /tmp; proxy_temp_path /tmp; fastcgi_temp_path /tmp; uwsgi_temp_path /tmp; scgi_temp_path /tmp;
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;
  js_shared_dict_zone zone=warden_counts:16m type=number; js_shared_dict_zone zone=warden_meta:1m type=number;
  js_shared_dict_zone zone=warden_bans:1m type=number;
  $js
  server { listen 127.0.0.1:$port; location /r { return 200 "ok\n"; } location /q { access_log off; return 200; } }
}
CONF
  chroot "$R" valgrind --tool=callgrind --callgrind-out-file="/srv/x/run-$m-$n/cg.out" /usr/sbin/nginx -c "/srv/x/run-$m-$n/nginx.conf" >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/q" && break; sleep 0.2; done
  [ "$n" -gt 0 ] && ab -q -k -n "$n" -c 1 -H "X-Forwarded-For: 198.51.100.7" "http://127.0.0.1:$port/r" >/dev/null 2>&1
  kill -QUIT "$(pgrep -f "nginx -c /srv/x/run-$m-$n/" | head -1)"
  wait "$vp" || true
  grep -E '^(summary|totals):' "$d/cg.out" | head -1 | awk '{print $2}'
}

N=2000
echo "instructions per request (return 200, keep-alive, one client, ${N} requests; callgrind)"
plain=0
for m in '' noop warden; do
  per=$(( ($(count "$m" $N) - $(count "$m" 0)) / N ))
  [ -z "$m" ] && plain=$per
  printf '%-28s %8d  (+%d over plain)\n' "${m:-plain nginx, no njs}" "$per" $((per - plain))
done
