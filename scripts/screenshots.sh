#!/usr/bin/env bash
# Screenshots of every storyteller page (landing, landing with an error, the live call, the finished story, each ending,
# not found) at 375 px and 1280 px. Usage: scripts/screenshots.sh OUT_DIR
set -euo pipefail
OUT=${1:?usage: scripts/screenshots.sh OUT_DIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source "$(dirname "$0")/serve.sh"
node "$ROOT/scripts/screenshots.mjs" "$BASE" "$OUT"
