#!/usr/bin/env bash
# run.sh <build dir> [bench args...]: bench_comm.cpp at 2 and 4 ranks.
set -euo pipefail
build=${1:?usage: run.sh <build dir> [--mb 64 --bucket-mb 25 --weight-bucket-mb 64 --iters 7]}
shift
for ranks in 2 4; do
  mpiexec --allow-run-as-root --oversubscribe --bind-to none -n "$ranks" "$build/bench/comm/spct_bench_comm" "$@"
done
