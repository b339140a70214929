#!/usr/bin/env bash
# Dynamic sampling on 5 MPI ranks with an untrained policy: every group scores all zeros, so the orchestrator
# refills up to its round limit and the step ends with no group to train on; every rank must still finish each
# step in lock-step (no deadline expires) and the run must end cleanly. Argument: the rollout mode, sync
# (default) or async (the refills of step 2 then run while the learners finish step 1).
set -uo pipefail
mode=${1:-sync}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeout 300 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=2 \
  sft.warmup_steps=0 grpo.dynamic_sampling=true rollout.prompts_per_step=8 timeouts.step_s=60 rollout.mode="$mode" \
  > "$work/log" 2>&1 || { tail -20 "$work/log"; echo "FAIL: run failed"; echo "0 passed, 1 failed"; exit 1; }
python3 - "$work/grpo_add/metrics.jsonl" <<'PY'
import json, sys
steps = [json.loads(line) for line in open(sys.argv[1])]
fail = []
if len(steps) != 2: fail.append(f"expected 2 steps, got {len(steps)}")
for m in steps:
    if m.get("batch/refill_rounds", 0) < 1: fail.append(f"step {m['step']}: no refill round")
    if m.get("reward/zero_std_groups") != 1.0: fail.append(f"step {m['step']}: expected only zero-variance groups")
    if m.get("batch/groups_trained") != 0: fail.append(f"step {m['step']}: trained on {m.get('batch/groups_trained')} groups")
for f in fail: print("FAIL:", f)
print(f"{0 if fail else 1} passed, {1 if fail else 0} failed")
sys.exit(1 if fail else 0)
PY
