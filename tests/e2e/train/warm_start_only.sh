#!/usr/bin/env bash
# run.steps = 0: the 5-rank job warm-starts the policy, writes a checkpoint of step 0 and exports the
# warm-started policy to model/ (what a pipeline evaluates as "before GRPO"); a GRPO run then starts from that
# export. Without a warm start, run.steps = 0 is refused with exit 2 naming the keys.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
timeout 300 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=warm run.steps=0 \
  sft.warmup_steps=20 > "$work/warm.log" 2>&1 || { tail -20 "$work/warm.log"; echo "FAIL: warm-start-only run failed"; fail=1; }
[[ -s "$work/warm/model/model.safetensors" ]] || { echo "FAIL: no exported model"; fail=1; }
[[ -d "$work/warm/checkpoints/step-00000000" ]] || { echo "FAIL: no checkpoint of step 0"; fail=1; }
grep -q '"state":"finished","step":0' "$work/warm/status.json" || { echo "FAIL: status"; cat "$work/warm/status.json"; fail=1; }
[[ ! -s "$work/warm/metrics.jsonl" ]] || { echo "FAIL: metric lines without a step"; fail=1; }
timeout 300 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=grpo run.steps=2 \
  sft.warmup_steps=0 model.path="$work/warm/model" > "$work/grpo.log" 2>&1 ||
  { tail -20 "$work/grpo.log"; echo "FAIL: GRPO from the warm-started export failed"; fail=1; }
"$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=none run.steps=0 \
  sft.warmup_steps=0 > "$work/none.log" 2>&1
code=$?
[[ $code -eq 2 ]] || { echo "FAIL: run.steps=0 without a warm start exited $code, want 2"; fail=1; }
grep -q "run.steps = 0 only exports a warm-started policy" "$work/none.log" || { echo "FAIL: message"; cat "$work/none.log"; fail=1; }
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
