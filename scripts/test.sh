#!/usr/bin/env bash
# Runs every test: the Rust unit and end-to-end tests (aws-sdk-kms against a spawned server), then the Python
# client suite (pytest, boto3 and the aws CLI against a spawned server), installing its venv itself.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit and end-to-end tests"
cargo build --locked --bins
cargo test --locked --workspace --all-targets

echo "== Python: boto3 and aws CLI suite"
VENV=".venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
TRENT_BIN="$PWD/target/debug/trent" PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/python" -m pytest -q tests/python
