#!/usr/bin/env bash
# README command 1: installs what spct needs, builds the spct binary, and runs `spct train` on the embedded
# default config (configs/quickstart.yaml). Extra arguments are passed to `spct train` (e.g. run.steps=10).
# Safe to repeat: an interrupted runs/quickstart is resumed from its newest checkpoint; when it has finished, the
# new run is named quickstart-<date-time>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
SPCT_BUILD_TARGET=spct "$root/scripts/build.sh"
cd "$root"
name=()
if grep -qs '"state":"finished"' runs/quickstart/status.json && ! printf '%s\n' "$@" | grep -q '^run.name='; then
  name=("run.name=quickstart-$(date +%Y%m%d-%H%M%S)")
fi
exec "$root/build/orchestrator/spct" train "$@" "${name[@]}"
