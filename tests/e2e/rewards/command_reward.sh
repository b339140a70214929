#!/usr/bin/env bash
# Rewards as plug-ins, for real: `spct train` with the Python examples of examples/rewards/ as `command` rewards.
#   colocated: exact_match + math_answer.py + length_format.py; the math checker agrees with exact_match on the
#              add task (both 1 for a right sum), the trained reward is the weighted sum of all three, nothing
#              is dropped;
#   mpi:       the 5-rank layout: the reward rank starts the plugin, whose stderr reaches the log under the
#              reward's name.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ex=$SPCT_SOURCE_DIR/examples/rewards
fail=0

functions="[exact_match, \"math=command:python3 $ex/math_answer.py\", \"format=command:python3 $ex/length_format.py --max-chars 4\"]"
timeout 300 "$SPCT_BINARY" train run.dir="$work" run.name=c layout.colocate=true run.steps=4 sft.warmup_steps=60 \
  "reward.functions=$functions" "reward.weights=[1, 1, 0.5]" > "$work/c.log" 2>&1 ||
  { tail -30 "$work/c.log"; echo "FAIL: colocated run with command rewards failed"; exit 1; }
python3 - "$work/c/metrics.jsonl" <<'PY' || fail=1
import json, sys
steps = [json.loads(line) for line in open(sys.argv[1])]
fail = []
if len(steps) != 4: fail.append(f"expected 4 steps, got {len(steps)}")
for m in steps:
    em, math, fmt = m["reward/exact_match/mean"], m["reward/math/mean"], m["reward/format/mean"]
    if abs(em - math) > 0.02: fail.append(f"step {m['step']}: math checker {math} != exact_match {em}")
    if abs(m["reward/mean"] - (em + math + 0.5 * fmt)) > 1e-6:
        fail.append(f"step {m['step']}: reward/mean {m['reward/mean']} is not em + math + 0.5 format")
    if not -1 <= fmt <= 1: fail.append(f"step {m['step']}: format mean {fmt} outside [-1, 1]")
    if m["reward/dropped_groups"] != 0: fail.append(f"step {m['step']}: groups dropped")
if max(m["reward/math/mean"] for m in steps) <= 0: fail.append("the math checker never scored a right answer")
print("\n".join("FAIL: " + f for f in fail) or "colocated: command rewards scored and summed")
sys.exit(1 if fail else 0)
PY

functions="[exact_match, \"math=command:python3 $SPCT_SOURCE_DIR/tests/e2e/rewards/faulty_reward.py\"]"
timeout 300 "$SPCT_BINARY" train run.dir="$work" run.name=m run.steps=2 sft.warmup_steps=5 layout.learners=1 \
  "reward.functions=$functions" > "$work/m.log" 2>&1 ||
  { tail -30 "$work/m.log"; echo "FAIL: MPI run with a command reward failed"; exit 1; }
[[ $(wc -l < "$work/m/metrics.jsonl") -eq 2 ]] || { echo "FAIL: MPI run: expected 2 metric lines"; fail=1; }
grep -q '"reward/math/mean"' "$work/m/metrics.jsonl" || { echo "FAIL: MPI run: no reward/math/mean"; fail=1; }
grep -q 'reward math (stderr): faulty_reward pid [0-9]* request 0 step 0' "$work/m.log" ||
  { echo "FAIL: MPI run: the plugin's stderr is not in the log"; fail=1; }
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
