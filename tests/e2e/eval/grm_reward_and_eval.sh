#!/usr/bin/env bash
# The GRM used end to end: a tiny GRM is trained here (a supervised warm start on oracle critiques of the
# synthetic preference task, then one GRPO step on grm_correct, exported to model/); policy GRPO on `add` then
# runs with reward.functions [grm, exact_match] on 4 real MPI ranks (orchestrator, rollout, reward worker holding
# the GRM, learner); `spct eval` measures the GRM (greedy, voting@k) and the policy (greedy accuracy) and writes
# eval.json; bad eval configs fail with a clear message.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
run() {  # run NAME TIMEOUT ARGS...: runs spct, shows its log tail on failure
  local name=$1 limit=$2
  shift 2
  timeout -k 10 "$limit" "$SPCT_BINARY" "$@" > "$work/$name.log" 2>&1 || {
    tail -30 "$work/$name.log"
    echo "FAIL: $name failed"
    exit 1
  }
}
grm_keys=(grm.template=compact grm.max_new_tokens=16 'grm.stop=["}"]')

# 1. A tiny GRM.
run grm 300 train run.dir="$work" run.name=grm layout.colocate=true run.steps=1 data.task=preference \
  data.preference_task=add data.preference_responses=2 'reward.functions=[grm_correct]' "${grm_keys[@]}" \
  sft.warmup_steps=40 rollout.group_size=4 rollout.prompts_per_step=4 rollout.max_new_tokens=16 \
  'rollout.stop=["}"]' grpo.beta=0.08
[[ -s "$work/grm/model/config.json" ]] || { echo "FAIL: the GRM run exported no model"; exit 1; }

# 2. Policy GRPO with the GRM as its reward, over real MPI ranks.
run policy 400 train "$SPCT_SOURCE_DIR/configs/policy_grm.yaml" run.dir="$work" run.name=policy run.steps=2 \
  grm.model_path="$work/grm/model" sft.warmup_steps=20 rollout.prompts_per_step=4 grm.samples=2

# 3. spct eval of the GRM and of the policy, each in its own run directory.
run eval_grm 300 eval "$SPCT_SOURCE_DIR/configs/eval_grm.yaml" run.dir="$work" run.name=eval_grm \
  grm.model_path="$work/grm/model" data.eval_size=24 'eval.k=[1,2,4]'
run eval_policy 300 eval "$SPCT_SOURCE_DIR/configs/eval_policy.yaml" run.dir="$work" run.name=eval_policy \
  model.path="$work/policy/model" data.eval_size=16
grep -q "Ties: ties for the top score are broken by a seeded shuffle" "$work/eval_grm.log" ||
  { echo "FAIL: the GRM table does not state tie handling"; cat "$work/eval_grm.log"; fail=1; }
grep -q "voting@4" "$work/eval_grm.log" || { echo "FAIL: no voting@4 row"; fail=1; }
grep -q "policy greedy accuracy (exact_match)" "$work/eval_policy.log" || { echo "FAIL: no policy line"; fail=1; }

python3 - "$work" <<'PY' || fail=1
import json, sys
work = sys.argv[1]
fail = []
steps = [json.loads(line) for line in open(f"{work}/policy/metrics.jsonl")]
if len(steps) != 2: fail.append(f"policy run: expected 2 metric lines, got {len(steps)}")
for m in steps:
    # 4 prompts x 8 completions in chunks of 2 responses x 2 critiques = 32 critiques a step.
    if m.get("grm/critiques") != 32: fail.append(f"grm/critiques {m.get('grm/critiques')}, want 32")
    for key in ("reward/grm/mean", "reward/exact_match/mean", "grm/parse_failures", "grm/vote_failures",
                "grm/critique_tokens", "grm/time_s"):
        if key not in m: fail.append(f"policy metrics lack {key}")
    if not 0 <= m.get("reward/grm/mean", -1) <= 1: fail.append("reward/grm/mean outside [0, 1]")
grm = json.load(open(f"{work}/eval_grm/eval.json"))
names = [m["name"] for m in grm["methods"]]
if names != ["greedy", "voting@1", "voting@2", "voting@4"]: fail.append(f"GRM eval methods {names}")
if grm["items"] != 24 or any(m["total"] != 24 for m in grm["methods"]): fail.append("GRM eval item counts")
if grm["critiques"] != 24 * (1 + 4): fail.append(f"GRM eval critiques {grm['critiques']}")
if set(grm["methods"][0]["subsets"]) != {"add"}: fail.append("GRM eval subsets")
pol = json.load(open(f"{work}/eval_policy/eval.json"))
if pol["target"] != "policy" or pol["items"] != 16 or not 0 <= pol["accuracy"] <= 1: fail.append("policy eval.json")
if not pol["examples"]: fail.append("policy eval.json has no examples")
status = json.load(open(f"{work}/eval_grm/status.json"))
if status["state"] != "finished": fail.append(f"eval status {status['state']}")
print(f"GRM greedy accuracy {grm['methods'][0]['accuracy']:.3f}, voting@4 {grm['methods'][3]['accuracy']:.3f}; "
      f"policy greedy accuracy {pol['accuracy']:.3f}")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY

# 4. Bad eval configs: a GRM evaluation without preference data, a GRM directory that does not exist.
"$SPCT_BINARY" eval run.dir="$work" run.name=bad1 eval.target=grm grm.model_path="$work/grm/model" \
  > "$work/bad1.log" 2>&1
code=$?
[[ $code -eq 2 ]] && grep -q "eval.target grm needs preference data" "$work/bad1.log" ||
  { echo "FAIL: grm eval on the add task: exit $code"; cat "$work/bad1.log"; fail=1; }
"$SPCT_BINARY" eval "$SPCT_SOURCE_DIR/configs/eval_grm.yaml" run.dir="$work" run.name=bad2 \
  grm.model_path="$work/nowhere" > "$work/bad2.log" 2>&1
code=$?
[[ $code -eq 3 ]] && grep -q "$work/nowhere" "$work/bad2.log" ||
  { echo "FAIL: missing GRM directory: exit $code"; cat "$work/bad2.log"; fail=1; }

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
