#!/usr/bin/env bash
# Turn-taking on memory in a colocated run (layout.take_turns, orchestrator/train/turn_taking.h), on the CPU where
# the optimizer state moves to separate host tensors and back: a bf16 run (float32 masters and gradient buffers)
# with turn-taking forced on, stopped after its step-2 checkpoint and resumed, ends with bitwise the weights,
# optimizer state and metrics of the uninterrupted run without it; the run says it moved the state, the other
# does not; layout.take_turns on without colocate is a config error (exit 2); and `--dry-run` of the colocated
# 0.5B config on a GPU shows a lower generating peak with turn-taking than without.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=4 layout.colocate=true
        model.dtype=bfloat16 grpo.micro_batch_size=8 rollout.prompts_per_step=4 rollout.group_size=4
        sft.warmup_steps=20 checkpoint.every=2 checkpoint.keep_last=4)
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
train() {
  local name=$1; shift
  timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1
}

train resident layout.take_turns=off || say_fail "the run without turn-taking failed"
train turns layout.take_turns=on run.steps=2 || say_fail "the 2-step run with turn-taking failed"
train turns layout.take_turns=on || say_fail "the resumed run with turn-taking failed"
grep -q "resuming from" "$work/turns.log" || say_fail "run 'turns' never resumed from a checkpoint"
moved="layout.take_turns: the learner's optimizer state and gradients"
grep -q "$moved" "$work/turns.log" || say_fail "the run with turn-taking never moved the optimizer state"
grep -q "$moved" "$work/resident.log" && say_fail "the run without turn-taking moved the optimizer state"

"$SPCT_PYTHON" - "$work" <<'PY' || fail=1
import glob, json, os, sys
from safetensors.torch import load_file
work = sys.argv[1]
def metrics(name):
    strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}
    return [strip(json.loads(line)) for line in open(f"{work}/{name}/metrics.jsonl")]
def last_optimizer(name):
    files = sorted(glob.glob(f"{work}/{name}/checkpoints/*/optimizer.safetensors"))
    return load_file(files[-1]) if files else {}
fail = []
a, b = load_file(f"{work}/resident/model/model.safetensors"), load_file(f"{work}/turns/model/model.safetensors")
if set(a) != set(b) or any(not a[k].equal(b[k]) for k in a): fail.append("weights differ")
if metrics("turns") != metrics("resident") or len(metrics("turns")) != 4: fail.append("metrics differ")
oa, ob = last_optimizer("resident"), last_optimizer("turns")
if not oa or not any(k.startswith("master.") for k in oa): fail.append("no optimizer checkpoint with float32 masters")
elif set(oa) != set(ob) or any(not oa[k].equal(ob[k]) for k in oa): fail.append("optimizer states differ")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY

"$SPCT_BINARY" train "${common[@]}" run.name=refused layout.colocate=false layout.take_turns=on > "$work/refused.log" 2>&1
code=$?
[[ $code -eq 2 ]] || say_fail "take_turns on without colocate: exit $code, want 2"
grep -q "layout.take_turns" "$work/refused.log" || say_fail "the refusal does not name layout.take_turns"

# --dry-run: the colocated 0.5B config planned on one GPU takes turns (auto) and shows both phases' peaks.
"$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/gpu_colocated_0.5b.yaml" run.dir="$work" --gpus-per-node 1 \
  rollout.max_new_tokens=256 --dry-run > "$work/dry.txt" 2>&1 || say_fail "--dry-run failed"
sed -n '/^phases of rank/,$p' "$work/dry.txt"
grep -q "layout.take_turns auto: turns taken on gpu 0" "$work/dry.txt" || say_fail "--dry-run shows no turn-taking"
"$SPCT_PYTHON" - "$work/dry.txt" <<'PY' || say_fail "--dry-run: generating peak not lower with turn-taking"
import re, sys
rows = {m.group(1): [float(x) for x in m.groups()[1:]] for m in
        re.finditer(r"^\s+(with turn-taking|without \(all resident\))\s+([\d.]+)Gi\s+([\d.]+)Gi\s+([\d.]+)Gi", open(sys.argv[1]).read(), re.M)}
w, wo = rows["with turn-taking"], rows["without (all resident)"]
sys.exit(0 if w[0] < wo[0] and w[1] == wo[1] and w[2] <= wo[2] else 1)
PY

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; tail -n 20 "$work"/*.log; }
exit $fail
