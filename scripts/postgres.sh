#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: `source scripts/postgres.sh; start_test_postgres` exports
# TRENT_TEST_POSTGRES_URL (trust authentication, loopback only, a free port) and `stop_test_postgres` removes it.
# Tests run it without fsync; `start_test_postgres durable` keeps PostgreSQL's durable defaults (for benchmarks).
# Installs Debian's postgresql-15 when its binaries are missing and we are root.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

ensure_postgres_installed() {
  if [ -x "$PG_BIN/initdb" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing postgresql-15 (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 is not installed ($PG_BIN/initdb missing)"; return 1; }
}

# Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses to run as root).
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_test_postgres() {
  ensure_postgres_installed || return 1
  TEST_PG_DIR="$(mktemp -d /tmp/trent-pg.XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres "$TEST_PG_DIR"
  TEST_PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  as_pg_owner "$PG_BIN/initdb" -D "$TEST_PG_DIR/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  local speed="-c fsync=off -c synchronous_commit=off"
  [ "${1:-}" = durable ] && speed=""
  as_pg_owner "$PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -l "$TEST_PG_DIR/log" -w \
    -o "-p $TEST_PG_PORT -k $TEST_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=1000 $speed" \
    start >/dev/null
  export TRENT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$TEST_PG_PORT/postgres"
  echo "test PostgreSQL at $TRENT_TEST_POSTGRES_URL (data in $TEST_PG_DIR)"
}

stop_test_postgres() {
  if [ -n "${TEST_PG_DIR:-}" ] && [ -d "$TEST_PG_DIR/data" ]; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$TEST_PG_DIR"
  fi
}
