#!/bin/sh
# Times the official Twilio libraries on the inputs of benches/signature.rs.
# Installs twilio (PyPI) and twilio (npm) into a directory outside the repository, then runs both
# scripts; each prints one JSON line per operation.
#
#   benches/official/run.sh [WORKDIR]     (WORKDIR defaults to /tmp/storyline-official)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/storyline-official}
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet twilio
fi
if [ ! -d "$work/node/node_modules/twilio" ]; then
    mkdir -p "$work/node"
    (cd "$work/node" && npm init -y >/dev/null && npm install --silent twilio)
fi
"$work/venv/bin/python" "$here/twilio_python.py"
NODE_PATH="$work/node/node_modules" node "$here/twilio_node.js"
