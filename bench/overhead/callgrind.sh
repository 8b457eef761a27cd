#!/usr/bin/env bash
# Instructions per request in nginx, counted by callgrind (independent of machine load), for: plain nginx, a no-op
# log-phase js_set (njs's per-request VM), the warden per-request module (dist/njs/warden.js), and warden with the
# per-server ban check of nginx-server.conf.
# Usage (root, after `npm run build` and a test run that made .cache/nginx-trixie): bash bench/overhead/callgrind.sh
# On njs 1.0 (.cache/nginx-sid, made by the tests' engine matrix) and its QuickJS engine:
#   CALLGRIND_ROOT=sid bash bench/overhead/callgrind.sh;  CALLGRIND_ROOT=sid JS_ENGINE=qjs bash bench/overhead/callgrind.sh
# It copies the trixie root to a scratch folder, installs valgrind there, and removes the copy at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=callgrind
# shellcheck source=bench/overhead/callgrind-root.sh
. bench/overhead/callgrind-root.sh
printf "function log(r) { return ''; }\nexport default { log };\n" > "$R/srv/x/noop.js"
cp dist/njs/warden.js "$R/srv/x/warden.js"

# count MODULE N [BAN]: total instructions of an nginx that served N requests (MODULE '' = no njs handler at all;
# BAN=ban: the server also has nginx-server.conf's check, `if ($warden_banned)`, with an empty ban list)
count() {
  local m=$1 n=$2 ban=${3:-} d="$R/srv/x/run-$1-$2${3:-}"; port=$((port + 1))
  mkdir -p "$d"
  local js='' check=''
  [ -n "$m" ] && js="js_path \"/srv/x/\"; js_import m from $m.js; js_set \$m_log m.log; access_log /dev/null combined if=\$m_log;"
  [ -n "$ban" ] && js="$js js_set \$m_banned m.banned;" && check='if ($m_banned) { return 403; }'
  local rd="/srv/x/run-$m-$n$ban"
  cat > "$d/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
daemon off; master_process off; worker_processes 1; pid $rd/pid; error_log $rd/err.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path /tmp; proxy_temp_path /tmp; fastcgi_temp_path /tmp; uwsgi_temp_path /tmp; scgi_temp_path /tmp;
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;
  $ENGINE_LINE
  js_shared_dict_zone zone=warden_counts:16m type=number; js_shared_dict_zone zone=warden_meta:1m type=number;
  js_shared_dict_zone zone=warden_bans:1m type=number;
  $js
  server { listen 127.0.0.1:$port; $check location /r { return 200 "ok\n"; } location /q { access_log off; return 200; } }
}
CONF
  chroot "$R" valgrind --tool=callgrind --callgrind-out-file="$rd/cg.out" /usr/sbin/nginx -c "$rd/nginx.conf" >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 1 300); do kill -0 "$vp" 2>/dev/null || break; curl -s -o /dev/null "http://127.0.0.1:$port/q" && break; sleep 0.2; done
  [ "$n" -gt 0 ] && ab -q -k -n "$n" -c 1 -H "X-Forwarded-For: 198.51.100.7" "http://127.0.0.1:$port/r" >/dev/null 2>&1
  kill -QUIT "$(pgrep -f "nginx -c $rd/" | head -1)"
  wait "$vp" || true
  grep -E '^(summary|totals):' "$d/cg.out" | head -1 | awk '{print $2}'
}

# Requests per run: the figure is (run with N2 - run with N1) / (N2 - N1), so startup and first requests cancel out.
N1=500
N2=2500
echo "instructions per request (return 200, keep-alive, one client, (${N2} - ${N1} requests); callgrind; $(basename "$src"), js_engine $JS_ENGINE)"
plain=0
noop=0
for v in plain noop warden warden+ban; do
  m=${v%+ban}; [ "$m" = plain ] && m=''
  ban=''; [ "$v" = warden+ban ] && ban=ban
  per=$(( ($(count "$m" $N2 $ban) - $(count "$m" $N1 $ban)) / (N2 - N1) ))
  [ "$v" = plain ] && plain=$per
  [ "$v" = noop ] && noop=$per
  case $v in
    plain) name='plain nginx, no njs';;
    noop) name='no-op log-phase js_set';;
    warden) name='warden (counting)';;
    *) name='warden + ban check';;
  esac
  case $v in
    plain) printf '%-26s %8d\n' "$name" "$per";;
    noop) printf '%-26s %8d  (+%d over plain)\n' "$name" "$per" $((per - plain));;
    *) printf '%-26s %8d  (+%d over plain, +%d over no-op)\n' "$name" "$per" $((per - plain)) $((per - noop));;
  esac
done
