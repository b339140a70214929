#!/usr/bin/env bash
# run.sh <build dir> [--layers 24 --dtype float32|bfloat16 --bucket-mb 64 --iters 5 --overlap-s 3]: spct's weight
# sync against a raw MPI_Bcast of the same bytes (bench_weight_sync.cpp) on $RANKS ranks (default 4), over shared
# memory (Open MPI's vader BTL) and over TCP on loopback with shared memory off; with --overlap-s, also the time
# the sync leaves on the critical path after that much generation, blocking vs overlapped. Memory: rank 0 holds
# one copy of the weights, every other rank three (its model, the staging buffer, the retired version), so
# --layers 24 takes ~10 GB in bfloat16 and ~20 GB in float32 on 4 ranks.
set -euo pipefail
build=${1:?usage: run.sh <build dir> [--layers N --dtype float32|bfloat16 --bucket-mb MB --iters N --overlap-s S]}
shift
ranks=${RANKS:-4}
bench="$build/bench/weight_sync/spct_bench_weight_sync"
echo "== shared memory"
mpiexec --allow-run-as-root --oversubscribe --bind-to none -n "$ranks" "$bench" "$@"
echo "== TCP (loopback, shared memory off)"
mpiexec --allow-run-as-root --oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo \
  -n "$ranks" "$bench" "$@"
