# Sourced by callgrind.sh and callgrind-drain.sh (NAME set by the caller): checks the trixie root and the build, copies
# the root to a scratch folder $R with valgrind installed and /proc mounted, removed again on exit. CALLGRIND_ROOT=DIR
# uses (and keeps) a copy prepared before, with valgrind in it.
src=.cache/nginx-trixie
[ -x "$src/usr/sbin/nginx" ] || { echo "$NAME: $src missing: run the tests once first (they build it)"; exit 1; }
[ -f dist/njs/warden.js ] && [ -f dist/njs/warden-internal.js ] || { echo "$NAME: dist/njs missing: npm run build"; exit 1; }
if [ -n "${CALLGRIND_ROOT:-}" ]; then
  R=$CALLGRIND_ROOT
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
