#!/usr/bin/env bash
# ZeRO sharding of the learners' optimizer (distributed.zero_stage, docs/learner.md) in real `spct train` runs on
# MPI ranks: stage 2 on 2 learners ends with the weights of the unsharded run (1e-6 relative); a sharded run
# stopped after its step-4 checkpoint and rerun resumes to the same weights and metrics as the uninterrupted
# sharded run; a checkpoint of 2 sharded learners resumes on 4 (--allow-config-change) and finishes; and
# `--dry-run` reports the smaller optimizer state per learner.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=6 layout.learners=2
        rollout.prompts_per_step=8 rollout.group_size=4 sft.warmup_steps=20 checkpoint.every=2
        run.verify_learner_sync=true)
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
train() {
  local name=$1; shift
  timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1
}

train plain distributed.zero_stage=0 || say_fail "unsharded run failed"
train zero2 distributed.zero_stage=2 || say_fail "stage-2 run failed"
train zero1 distributed.zero_stage=1 || say_fail "stage-1 run failed"
# Stopped after 4 steps (its last checkpoint), then extended to the full run.
train resumed distributed.zero_stage=2 run.steps=4 || say_fail "stage-2 run of 4 steps failed"
train resumed distributed.zero_stage=2 || say_fail "the resumed stage-2 run failed"
grep -q "resuming from" "$work/resumed.log" || say_fail "run 'resumed' never resumed from a checkpoint"
# The same checkpoint layout, resumed on 4 learners.
train wider distributed.zero_stage=2 run.steps=4 || say_fail "stage-2 run of 4 steps (2 learners) failed"
train wider distributed.zero_stage=2 layout.learners=4 --allow-config-change ||
  say_fail "the stage-2 run did not resume on 4 learners"
grep -q "resuming from" "$work/wider.log" || say_fail "run 'wider' never resumed from a checkpoint"

"$SPCT_PYTHON" - "$work" <<'PY' || fail=1
import json, sys
from safetensors.torch import load_file
work = sys.argv[1]
def weights(name):
    return load_file(f"{work}/{name}/model/model.safetensors")
def metrics(name):
    strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}
    return [strip(json.loads(line)) for line in open(f"{work}/{name}/metrics.jsonl")]
def relative(a, b):
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in b) / \
        max(float(b[k].double().abs().max()) for k in b)
fail = []
plain = weights("plain")
for name in ("zero1", "zero2"):
    got = weights(name)
    if set(got) != set(plain): fail.append(f"{name}: other tensors than the unsharded run")
    elif relative(got, plain) > 1e-6: fail.append(f"{name}: weights differ from the unsharded run by {relative(got, plain):.3g}")
    if len(metrics(name)) != 6: fail.append(f"{name}: {len(metrics(name))} steps, expected 6")
    if any(m.get("learner/weights_in_sync") != 1 for m in metrics(name)): fail.append(f"{name}: learners out of sync")
resumed = weights("resumed")
if any(not resumed[k].equal(weights("zero2")[k]) for k in resumed): fail.append("resumed: weights differ from the uninterrupted stage-2 run")
if metrics("resumed") != metrics("zero2"): fail.append("resumed: metrics differ from the uninterrupted stage-2 run")
wider = metrics("wider")
if len(wider) != 6 or wider[-1].get("learner/count") != 4: fail.append(f"wider: {len(wider)} steps, last on {wider[-1].get('learner/count') if wider else 0} learners")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY

# --dry-run: a learner's "grads+optim" column with and without sharding, at the 0.5B shape in bf16 on 2 learners,
# one pass per minibatch (grpo.micro_batch_size=0; with several, the gradients accumulate in float32).
# Unsharded: bf16 gradients (2 bytes) + float32 moments and master (12 bytes) per parameter. Stage 2: the largest
# parameter's bf16 gradient and its float32 bucket (here an MLP weight: the character vocabulary makes the
# embedding small), three 25 MB buckets, and float32 moments, master and averaged gradient (16 bytes) of half the
# parameters (orchestrator/train/memory_estimate.cpp).
optim_gib() {
  "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/gpu_colocated_0.5b.yaml" run.dir="$work" model.device=cpu \
    layout.colocate=false layout.learners=2 grpo.micro_batch_size=0 --dry-run "$@" 2>&1 |
    awk '/^memory per rank/ { table = 1 } table && $2 == "learner" { print $6; exit }'
}
plain_gib=$(optim_gib distributed.zero_stage=0)
sharded_gib=$(optim_gib distributed.zero_stage=2)
echo "dry run, grads+optim per learner at the 0.5B shape: unsharded $plain_gib, stage 2 on 2 learners $sharded_gib"
"$SPCT_PYTHON" - "$plain_gib" "$sharded_gib" <<'PY' || say_fail "--dry-run's stage-2 optimizer state is not the sharded estimate"
import sys
plain, sharded = (float(x.rstrip("Gi")) * 2**30 for x in sys.argv[1:])
params = plain / 14
largest = 4864 * 896  # an MLP projection of configs/gpu_colocated_0.5b.yaml
want = (largest * 6 + 3 * 25 * 2**20 + 16 * params / 2) / plain
print(f"stage 2 / unsharded: {sharded / plain:.4f}, want {want:.4f}")
sys.exit(0 if abs(sharded / plain - want) < 0.004 else 1)
PY

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; tail -n 20 "$work"/*.log; }
exit $fail
