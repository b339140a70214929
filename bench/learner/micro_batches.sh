#!/usr/bin/env bash
# Fixed micro-batches (grpo.micro_batch_size), a token budget (grpo.micro_batch_tokens) and packed sequences within
# that budget (grpo.packing) on a batch of mixed lengths, at the tiny and a mid-size (4 layers, width 256, 32k
# vocabulary) shape: learner step wall and CPU time, padding share and peak RSS, each configuration in its own
# process. All modes get the same worst-case pass: N rows of the longest sequence (prompt + completion) = T cells.
#
#   bench/learner/micro_batches.sh [build dir, default build] [threads, default 1] [tiny steps, default 8]
#                                  [mid steps, default 3]   (the first step of each is a warm-up)
set -euo pipefail
build=${1:-build}
threads=${2:-1}
tiny_steps=${3:-8}
mid_steps=${4:-3}
bench="$build/bench/learner/spct_bench_micro_batches"
[[ -x $bench ]] || { echo "build $bench first (cmake --build $build --target spct_bench_micro_batches)" >&2; exit 2; }
rows=4
for shape in tiny mid; do
  case $shape in
    tiny) longest=$((16 + 64)) steps=$tiny_steps ;;
    mid) longest=$((64 + 256)) steps=$mid_steps ;;
  esac
  "$bench" "$shape" "fixed:$rows" "$threads" "$steps"
  "$bench" "$shape" "budget:$((rows * longest))" "$threads" "$steps"
  "$bench" "$shape" "packed:$((rows * longest))" "$threads" "$steps"
done
