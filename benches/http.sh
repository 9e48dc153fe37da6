#!/usr/bin/env bash
# The load runs against the release server: HTTP beside a bare Rocket handler (wrk), then state-changing callbacks
# on SQLite and PostgreSQL. Usage: benches/http.sh [--seconds 10] [--connections 32] [--stories 4000]; each run
# reads the flags it knows.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk > /dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk > /dev/null; else sudo apt-get install -y wrk; fi
fi
cargo build --release -p storyline-rocket
cargo bench -p storyline-benches --bench http -- "$@"
cargo bench -p storyline-benches --bench callbacks -- "$@"
