#!/usr/bin/env bash
# Builds every libFuzzer target with clang in build-fuzz/ and fuzzes each for a bounded time (default 20 s,
# SPCT_FUZZ_SECONDS to change). Any crash, sanitizer report, leak or timeout fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
seconds=${SPCT_FUZZ_SECONDS:-20}
# scripts/build.sh finds PyTorch's LibTorch for the configure step (the fuzz targets themselves are tensor-free).
CC=clang CXX=clang++ SPCT_BUILD_DIR=$build SPCT_BUILD_TARGET=spct_fuzz_all "$root/scripts/build.sh" \
  -DSPCT_BUILD_FUZZ=ON -DSPCT_BUILD_BENCH=OFF -DSPCT_FUZZ_SECONDS="$seconds"
ctest --test-dir "$build" --output-on-failure -R 'fuzz' -j 2
