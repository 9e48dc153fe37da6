#!/usr/bin/env bash
# Accessibility and speed: axe-core finds no violation on any page (375 px and 1280 px), Lighthouse scores 100 for
# performance, accessibility, best practices and SEO on the landing page and 100 for the first three on a finished
# story and an ending, and the landing page weighs under 100 KiB with its fonts. Usage: scripts/audit.sh
set -euo pipefail
source "$(dirname "$0")/serve.sh"
node "$ROOT/scripts/audit.mjs" "$BASE"
