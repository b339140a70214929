#!/usr/bin/env bash
# README command 1: installs what spct needs, builds it, and runs `spct train` on the embedded default config
# (configs/quickstart.yaml). Extra arguments are passed to `spct train` (e.g. run.steps=10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root"
exec "$root/build/orchestrator/spct" train "$@"
