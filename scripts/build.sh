#!/usr/bin/env bash
# Configures and builds spct into build/ (Ninja, ccache when present). Extra arguments go to cmake's configure
# step, e.g. scripts/build.sh -DSPCT_WITH_NCCL=ON. Safe to run repeatedly: it only rebuilds what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SPCT_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja "$@" >/dev/null
# SPCT_BUILD_TARGET builds one target (and what it needs) instead of everything.
cmake --build "$build" --parallel "$(nproc)" ${SPCT_BUILD_TARGET:+--target "$SPCT_BUILD_TARGET"}
