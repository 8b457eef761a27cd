#!/usr/bin/env bash
# Instructions per request in nginx, counted by callgrind (independent of machine load), for: plain nginx, a no-op
# log-phase js_set (njs's per-request VM), and the real warden include (nginx.conf: its maps, handlers and zones, with
# dist/njs/warden.js) for each request class: a 2xx, a 4xx on a static file, a 4xx on another path (a probe), a 401
# (an auth failure), a 200 on a sensitive path (a probe), and a 2xx with nginx-server.conf's ban check.
# Usage (root, after `npm run build` and a test run that made .cache/nginx-trixie): bash bench/overhead/callgrind.sh
# On njs 1.0 (.cache/nginx-sid, made by the tests' engine matrix) and its QuickJS engine:
#   CALLGRIND_ROOT=sid bash bench/overhead/callgrind.sh;  CALLGRIND_ROOT=sid JS_ENGINE=qjs bash bench/overhead/callgrind.sh
# It copies the root to a scratch folder, installs valgrind there, and removes the copy at the end
# (CALLGRIND_PREPARED=DIR reuses a prepared copy and keeps it).
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=callgrind
# shellcheck source=bench/overhead/callgrind-root.sh
. bench/overhead/callgrind-root.sh
printf "function log(r) { return ''; }\nexport default { log };\n" > "$R/srv/x/noop.js"
cp dist/njs/warden.js dist/njs/warden-internal.js nginx-server.conf "$R/srv/x/"
# CALLGRIND_JS=FILE measures another build of the per-request module in place of dist/njs/warden.js.
[ -n "${CALLGRIND_JS:-}" ] && cp "$CALLGRIND_JS" "$R/srv/x/warden.js"
# The real include, with its js_path and internal listener moved into the scratch root.
sed -e 's|^js_path .*|js_path "/srv/x/";|' -e 's|listen 127.0.0.1:9181;|listen 127.0.0.1:PORT_INTERNAL;|' \
  -e 's|/etc/nginx/warden/|/srv/x/|g' nginx.conf > "$R/srv/x/warden.conf.in"
# CALLGRIND_EDIT='python code' edits that copy (sys.argv[1]) to try a variant of the include.
[ -n "${CALLGRIND_EDIT:-}" ] && python3 -c "$CALLGRIND_EDIT" "$R/srv/x/warden.conf.in"

# count VARIANT N: total instructions of an nginx that served N requests of VARIANT
count() {
  local v=$1 n=$2 d="$R/srv/x/run-$1-$2"; port=$((port + 2))
  local rd="/srv/x/run-$v-$n"
  mkdir -p "$d"
  local inc='' check='' path=/r
  case $v in
    plain|plain-*) ;;
    noop) inc="js_path \"/srv/x/\"; js_import m from noop.js; js_set \$m_log m.log; access_log /dev/null combined if=\$m_log;";;
    *) sed "s|PORT_INTERNAL|$((port + 1))|" "$R/srv/x/warden.conf.in" > "$d/warden.conf"; inc="include $rd/warden.conf;";;
  esac
  case $v in
    warden-ban) check='include /srv/x/nginx-server.conf;';;
    *-404static) path=/static/x.png;;
    *-404) path=/nope/x.php;;
    *-401) path=/login;;
    *-sensitive) path=/.env;;
  esac
  cat > "$d/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
daemon off; master_process off; worker_processes 1; pid $rd/pid; error_log $rd/err.log warn; ${CALLGRIND_MAIN:-}
events { worker_connections 256; }
http {
  client_body_temp_path /tmp; proxy_temp_path /tmp; fastcgi_temp_path /tmp; uwsgi_temp_path /tmp; scgi_temp_path /tmp;
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;
  $ENGINE_LINE
  $inc
  server { listen 127.0.0.1:$port; $check
    location /r { return 200 "ok\n"; } location /q { access_log off; return 200; }
    location /static/ { return 404; } location /nope/ { return 404; } location /login { return 401; }
    location /.env { return 200 "x\n"; } }
}
CONF
  chroot "$R" valgrind --tool=callgrind --callgrind-out-file="$rd/cg.out" /usr/sbin/nginx -c "$rd/nginx.conf" >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 1 300); do kill -0 "$vp" 2>/dev/null || break; curl -s -o /dev/null "http://127.0.0.1:$port/q" && break; sleep 0.2; done
  [ "$n" -gt 0 ] && ab -q -k -n "$n" -c 1 -H "X-Forwarded-For: 198.51.100.7" "http://127.0.0.1:$port$path" >/dev/null 2>&1
  kill -QUIT "$(pgrep -f "nginx -c $rd/" | head -1)"
  wait "$vp" || true
  grep -E '^(summary|totals):' "$d/cg.out" | head -1 | awk '{print $2}'
}

# Requests per run: the figure is (run with N2 - run with N1) / (N2 - N1), so startup and first requests cancel out.
N1=${CALLGRIND_N1:-500}
N2=${CALLGRIND_N2:-2500}
echo "instructions per request (keep-alive, one client, (${N2} - ${N1} requests); callgrind; $(basename "$src"), js_engine $JS_ENGINE)"
plain=0
noop=0
two=0
# plain-X: plain nginx answering the same path as warden-X (a 404 or 401 costs nginx itself more than a 200, and a
# longer URI costs the regex maps more), so "warden's own" below is what warden adds to that request beyond its 2xx.
declare -A base
for v in ${CALLGRIND_VARIANTS:-plain noop warden plain-404static warden-404static plain-404 warden-404 plain-401 warden-401 plain-sensitive warden-sensitive warden-ban}; do
  per=$(( ($(count "$v" "$N2") - $(count "$v" "$N1")) / (N2 - N1) ))
  [ "$v" = plain ] && plain=$per
  [ "$v" = noop ] && noop=$per
  [ "$v" = warden ] && two=$per
  case $v in plain-*) base[${v#plain-}]=$per; continue;; esac
  case $v in
    plain) name='plain nginx, no njs (200)';;
    noop) name='no-op log-phase js_set';;
    warden) name='warden, 200';;
    warden-404static) name='warden, 404 static file';;
    warden-404) name='warden, 404 (probe)';;
    warden-401) name='warden, 401 (auth failure)';;
    warden-sensitive) name='warden, 200 on /.env';;
    *) name='warden + ban check, 200';;
  esac
  case $v in
    plain) printf '%-28s %8d\n' "$name" "$per";;
    noop) printf '%-28s %8d  (+%d over plain)\n' "$name" "$per" $((per - plain));;
    warden) printf '%-28s %8d  (+%d over plain, +%d over no-op)\n' "$name" "$per" $((per - plain)) $((per - noop));;
    *)
      own=''
      b=${base[${v#warden-}]:-}
      [ -n "$b" ] && own=$(printf ', warden adds %d over plain nginx on this path: +%d over its 2xx' $((per - b)) $((per - b - two + plain)))
      printf '%-28s %8d  (+%d over plain, +%d over warden 200%s)\n' "$name" "$per" $((per - plain)) $((per - two)) "$own";;
  esac
done
