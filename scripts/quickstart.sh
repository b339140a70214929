#!/usr/bin/env bash
# README command 1: installs what spct needs (Debian packages; PyTorch's wheel into .venv/), builds the spct
# binary, and runs the SPCT story: `spct pipeline run` on the embedded quickstart pipeline (configs/quickstart.yaml), whose stages land in runs/quickstart/ and
# whose closing table lands in runs/quickstart/summary.md. Extra arguments are passed to `spct pipeline run`
# (overrides for every stage, e.g. run.seed=2).
# Safe to repeat: finished stages are skipped and an interrupted one starts again (training resumes from its
# newest checkpoint), so a second run after a finished one only prints the table again; remove
# runs/quickstart/ to run the story from the start.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/install-python.sh"
SPCT_BUILD_TARGET=spct "$root/scripts/build.sh"
cd "$root"
exec "$root/build/orchestrator/spct" pipeline run "$@"
