#!/usr/bin/env bash
# Builds every libFuzzer target with clang in build-fuzz/ and fuzzes each for a bounded time (default 20 s,
# SPCT_FUZZ_SECONDS to change). Any crash, sanitizer report, leak or timeout fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
seconds=${SPCT_FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DSPCT_BUILD_FUZZ=ON -DSPCT_BUILD_BENCH=OFF \
  -DSPCT_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" --target spct_fuzz_all
ctest --test-dir "$build" --output-on-failure -R 'fuzz' -j 2
