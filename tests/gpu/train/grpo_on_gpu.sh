#!/usr/bin/env bash
# grpo_on_gpu.sh <spct>: GRPO on one GPU (label gpu; exit 77, skipped, where spct sees no CUDA device).
#  1. colocated: every role in one process on the GPU, bf16 compute with float32 masters: 3 steps finish;
#  2. the default 5-rank layout with every rank on the same GPU (weights staged through host memory, since NCCL
#     cannot put two ranks on one device): 3 steps finish with the same number of metric lines.
set -uo pipefail
spct=$1
config=$(dirname "$0")/../../../configs/grpo_add.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$spct" train "$config" model.device=cuda --dry-run > "$work/dry-run.txt" 2>&1; then
  grep -q "sees no CUDA device" "$work/dry-run.txt" && { echo "skipped: no CUDA device"; exit 77; }
  cat "$work/dry-run.txt"; echo "FAIL: --dry-run with model.device=cuda failed"; exit 1
fi
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
grep -q "cuda" "$work/dry-run.txt" || fail "--dry-run shows no rank on a CUDA device"

run() {  # run NAME OVERRIDES...: a 3-step run in $work/NAME; checks it finished with 3 metric lines
  local name=$1; shift
  timeout 600 "$spct" train "$config" run.dir="$work" run.name="$name" run.steps=3 sft.warmup_steps=5 \
    model.device=cuda model.dtype=bfloat16 "$@" > "$work/$name.log" 2>&1
  local code=$?
  [[ $code -eq 0 ]] || { fail "$name: exit $code"; tail -30 "$work/$name.log"; return; }
  grep -q '"state":"finished"' "$work/$name/status.json" || fail "$name: status $(cat "$work/$name/status.json")"
  [[ $(wc -l < "$work/$name/metrics.jsonl") -eq 3 ]] || fail "$name: $(wc -l < "$work/$name/metrics.jsonl") metric lines, want 3"
}
run colocated layout.colocate=true
run shared_gpu layout.learners=1
((failures)) && { echo "0 passed, 1 failed"; exit 1; }
echo "1 passed, 0 failed"
