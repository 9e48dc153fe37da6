#!/usr/bin/env bash
# HTTP load run: the release server (live mode, a local Twilio stand-in) beside a bare Rocket handler answering the
# same bytes, both driven by wrk. Usage: benches/http.sh [--seconds 10] [--connections 32]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk > /dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk > /dev/null; else sudo apt-get install -y wrk; fi
fi
cargo build --release -p storyline-rocket
cargo bench -p storyline-benches --bench http -- "$@"
