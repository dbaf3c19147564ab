# Debian's Chromium for the console's browser tests. `source scripts/browser.sh`, then `ensure_chromium`: installs the
# chromium package with apt-get when /usr/bin/chromium is missing (no browser is ever downloaded at run time) and
# exports CHROMIUM, the path the tests launch.

ensure_chromium() {
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing Debian's chromium (apt-get)" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "the console's browser tests need Chromium at $CHROMIUM (apt-get install chromium)" >&2
      return 1
    fi
  fi
  export CHROMIUM
}
