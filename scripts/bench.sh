#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md: builds Trent (release), installs what it is compared with when missing (nginx and
# wrk from Debian; fakecloud 0.51.0 from crates.io, in the background, once: see scripts/bench-tools.sh), starts a
# durable PostgreSQL when a postgres target is asked for, and runs `trent bench` with the arguments given, e.g.
#   scripts/bench.sh --targets sqlite,sqlite-unaudited,postgres --operations encrypt,decrypt,generate-data-key
# fakecloud is measured as the peer once it is installed; until then the run says so and goes on without it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-tools.sh
source scripts/postgres.sh
ensure_nginx_and_wrk
peer=()
if ensure_fakecloud; then peer=(--fakecloud "$FAKECLOUD"); fi
cargo build --release --locked --quiet
if [[ " $* " == *postgres* ]] && [ -z "${TRENT_BENCH_POSTGRES_URL:-}" ]; then
  start_test_postgres durable >&2
  trap stop_test_postgres EXIT
  export TRENT_BENCH_POSTGRES_URL="$TRENT_TEST_POSTGRES_URL"
fi
target/release/trent bench "${peer[@]}" "$@"
