#!/usr/bin/env bash
# Soak run: builds the release server, then drives hundreds of faulty sandbox calls through it while killing it.
# Usage: benches/soak.sh [--calls 300] [--kills 8] [--speed 20] [--faults SPEC] [--cluster]
# --cluster: three instances on PostgreSQL (STORYLINE_TEST_POSTGRES) and s3s-fs behind a balancer.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p storyline-rocket
cargo bench -p storyline-benches --bench soak -- "$@"
