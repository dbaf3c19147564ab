#!/usr/bin/env bash
# Checks formatting and lints, then runs every test, against both stores: the Rust unit and end-to-end tests (aws-sdk-kms against spawned servers), the
# Python client suite (pytest, boto3 and the aws CLI, in a venv this script installs) and the JavaScript client suite
# (the AWS SDK for JavaScript v3, installed by npm from tests/js/package-lock.json, and the web console driven in
# Debian's headless Chromium by playwright-core; this script installs Chromium with apt-get), first on the embedded SQLite store
# and then on PostgreSQL. PostgreSQL is the server at TRENT_TEST_POSTGRES_URL, or, when that is unset,
# a throwaway cluster this script starts and removes. A missing PostgreSQL is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
source scripts/bench-tools.sh
source scripts/browser.sh

if [ -z "${TRENT_TEST_POSTGRES_URL:-}" ]; then
  start_test_postgres
  trap stop_test_postgres EXIT
fi
export TRENT_REQUIRE_POSTGRES=1
# The benchmark's own test loads a Trent with wrk beside an nginx ceiling.
ensure_nginx_and_wrk

echo "== Rust: formatting and lints (the unwrap/expect/panic lints of Cargo.toml are enforced here)"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== Rust: unit tests, store conformance (SQLite and PostgreSQL), end-to-end on SQLite"
cargo build --locked --bins
cargo test --locked --workspace --all-targets

echo "== Rust: end-to-end on PostgreSQL"
TRENT_TEST_BACKEND=postgres cargo test --locked --test '*'

echo "== Python: boto3 and aws CLI suite"
VENV=".venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export TRENT_BIN="$PWD/target/debug/trent" PATH="$PWD/$VENV/bin:$PATH"
echo "-- on SQLite"
"$VENV/bin/python" -m pytest -q tests/python
echo "-- on PostgreSQL"
TRENT_TEST_BACKEND=postgres "$VENV/bin/python" -m pytest -q tests/python

echo "== JavaScript: AWS SDK for JavaScript v3 suite"
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "the JavaScript suite needs Node.js 20 or later (found $(node -v))" >&2; exit 1; }
npm ci --prefix tests/js --no-audit --no-fund --silent
# The console's browser test drives Debian's Chromium (never a downloaded browser).
ensure_chromium
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
echo "-- on SQLite"
node --test --test-concurrency=1 tests/js/*.test.mjs
echo "-- on PostgreSQL"
TRENT_TEST_BACKEND=postgres node --test --test-concurrency=1 tests/js/*.test.mjs
