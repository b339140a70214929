#!/usr/bin/env bash
# Proves that LibTorch multiplies matrices through OpenBLAS: builds scripts/check_blas.cpp once (cached by the
# hash of its source and of the libtorch package version) and fails when the throughput is that of netlib BLAS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/spct
mkdir -p "$cache"
key=$( (cat "$here/check_blas.cpp"; dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null) | sha256sum | cut -c1-16)
bin="$cache/check-blas-$key"
if [[ ! -x "$bin" ]]; then
  g++ -std=c++17 -O2 "$here/check_blas.cpp" -o "$bin.tmp" -I/usr/include/torch/csrc/api/include \
    -ltorch -ltorch_cpu -lc10
  mv "$bin.tmp" "$bin"
fi
blas=$(ldd "$bin" | awk '/libblas.so.3/ {print $3}')
resolved=$(readlink -f "$blas")
echo "check-blas: libblas.so.3 -> $resolved"
"$bin" "${SPCT_MIN_GFLOPS:-20}"
