# Sourced by callgrind.sh and callgrind-drain.sh (NAME set by the caller): checks the Debian root and the build, copies
# the root to a scratch folder $R with valgrind installed and /proc mounted, removed again on exit.
# CALLGRIND_ROOT=trixie (default: njs 0.8) or sid (njs 1.0); JS_ENGINE=njs (default) or qjs (QuickJS, njs 1.0 only):
# callers put $ENGINE_LINE into http {}. CALLGRIND_PREPARED=DIR uses (and keeps) a copy prepared before, with valgrind in it.
src=.cache/nginx-${CALLGRIND_ROOT:-trixie}
JS_ENGINE=${JS_ENGINE:-njs}
ENGINE_LINE=''
[ "$JS_ENGINE" = qjs ] && ENGINE_LINE='js_engine qjs;'
[ -x "$src/usr/sbin/nginx" ] || { echo "$NAME: $src missing: run the tests once first (they build it)"; exit 1; }
[ -f dist/njs/warden.js ] && [ -f dist/njs/warden-internal.js ] || { echo "$NAME: dist/njs missing: npm run build"; exit 1; }
if [ -n "${CALLGRIND_PREPARED:-}" ]; then
  R=$CALLGRIND_PREPARED
  mountpoint -q "$R/proc" || mount --bind /proc "$R/proc"
  cleanup() { umount "$R/proc" 2>/dev/null || true; }
else
  R=$(mktemp -d /tmp/warden-callgrind-XXXX)
  cleanup() { umount "$R/proc" 2>/dev/null || true; rm -rf "$R"; }
  cp -a "$src/." "$R/"
  chroot "$R" apt-get update -qq >/dev/null 2>&1 && chroot "$R" apt-get install -y -qq valgrind >/dev/null 2>&1
  mount --bind /proc "$R/proc"
fi
trap cleanup EXIT
mkdir -p "$R/srv/x"
port=$((20000 + RANDOM % 20000))
