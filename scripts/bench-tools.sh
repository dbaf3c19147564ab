#!/usr/bin/env bash
# The benchmark's independent parts, installed when missing: Debian's nginx (the ceiling: a fixed body) and wrk (the
# load generator), and fakecloud 0.51.0 (the peer, another AWS KMS implementation). `source scripts/bench-tools.sh`,
# then `ensure_nginx_and_wrk` and `ensure_fakecloud`.
#
# fakecloud compiles from crates.io for about an hour on a 2-core machine, so it is installed once, outside the
# repository (in TRENT_BENCH_TOOLS, default ~/.cache/trent-bench), by a background job at low priority;
# `ensure_fakecloud` starts that job when needed and says whether the binary is ready (FAKECLOUD is then its path).

TRENT_BENCH_TOOLS="${TRENT_BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/trent-bench}"
FAKECLOUD_VERSION=0.51.0

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $* (Debian packages)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

ensure_nginx_and_wrk() {
  local missing=()
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  { [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null; } || { echo "nginx is not installed" >&2; return 1; }
  command -v wrk >/dev/null || { echo "wrk is not installed" >&2; return 1; }
}

# Sets FAKECLOUD and returns 0 when fakecloud is installed; otherwise starts its installation in the background (once)
# and returns 1.
ensure_fakecloud() {
  local root="$TRENT_BENCH_TOOLS/fakecloud-$FAKECLOUD_VERSION"
  FAKECLOUD="$root/bin/fakecloud"
  if [ -x "$FAKECLOUD" ]; then return 0; fi
  mkdir -p "$root"
  if [ -f "$root/installing.pid" ] && kill -0 "$(cat "$root/installing.pid")" 2>/dev/null; then
    echo "fakecloud $FAKECLOUD_VERSION is still being installed (log: $root/install.log)" >&2
    return 1
  fi
  echo "installing fakecloud $FAKECLOUD_VERSION in the background (about an hour; log: $root/install.log)" >&2
  nohup nice -n 19 cargo install fakecloud --version "$FAKECLOUD_VERSION" --locked --root "$root" \
    --target-dir "$root/build" >"$root/install.log" 2>&1 &
  echo $! >"$root/installing.pid"
  return 1
}
