# Sourced by screenshots.sh and audit.sh: builds and starts Storyline with its sandbox on a free port, in a
# temporary data directory, and stops it when the calling script exits. Sets BASE.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${STORYLINE_SCRIPT_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
DATA=$(mktemp -d)
(cd "$ROOT" && cargo build -q -j2 -p storyline-rocket)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/storyline-rocket
STORYLINE_DATA_DIR=$DATA STORYLINE_SANDBOX_SPEED=20 STORYLINE_MAX_STORY_SECONDS=20 ROCKET_PORT=$PORT \
  ROCKET_ADDRESS=127.0.0.1 "$BIN" > "$DATA/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$DATA"' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 100); do
  curl -fs -o /dev/null "$BASE/" && break
  kill -0 $SERVER_PID 2>/dev/null || { cat "$DATA/server.log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
# npm tools live beside the scripts (node_modules is not committed).
if [ ! -d "$ROOT/scripts/node_modules/playwright-core" ]; then
  (cd "$ROOT/scripts" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
