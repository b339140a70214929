#!/usr/bin/env bash
# configs/grpo_math_parquet.yaml end to end: `config show` names the DAPO preset as the origin of its keys
# (reward.overlong_shaping included) and the file where it overrides one; a GRPO run on MPI ranks (1 rollout,
# 1 reward, 1 learner + orchestrator) trains on the Parquet fractions dataset with grpo.preset=dapo and
# math_match, plus the overlong reward the preset adds; then `spct eval` of the exported policy reports mean@8
# and pass@1/4/8, which must agree with the unbiased estimator recomputed here from the per-item counts.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config="$SPCT_SOURCE_DIR/configs/grpo_math_parquet.yaml"
data=(data.path="$SPCT_SOURCE_DIR/configs/data/fractions_train.parquet"
      data.eval_path="$SPCT_SOURCE_DIR/configs/data/fractions_eval.parquet")
fail=0

# A build without Parquet support (no pyarrow when it was configured) must refuse the file clearly; it then
# trains on the same rows from JSONL.
"$SPCT_BINARY" train "$config" "${data[@]}" run.dir="$work" run.name=probe run.steps=0 sft.warmup_steps=1 \
  layout.colocate=true > "$work/probe.log" 2>&1
probe=$?
if grep -q "built without Parquet support" "$work/probe.log"; then
  [[ $probe -eq 2 ]] || { echo "FAIL: no Parquet support: exit $probe, not 2"; fail=1; }
  echo "note: this spct has no Parquet support; training on the JSONL copy"
  data=(data.path="$SPCT_SOURCE_DIR/configs/data/fractions_train.jsonl"
        data.eval_path="$SPCT_SOURCE_DIR/configs/data/fractions_eval.jsonl")
elif [[ $probe -ne 0 ]]; then
  tail -20 "$work/probe.log"; echo "FAIL: the Parquet dataset did not load (exit $probe)"; exit 1
fi

"$SPCT_BINARY" config show "$config" > "$work/show.txt" 2>&1 || { cat "$work/show.txt"; echo "FAIL: config show"; exit 1; }
grep -Eq '^  clip_high: 0\.28 +# preset dapo$' "$work/show.txt" || { echo "FAIL: clip_high not from preset dapo"; fail=1; }
grep -Eq '^  beta: 0 +# preset dapo$' "$work/show.txt" || { echo "FAIL: beta not from preset dapo"; fail=1; }
grep -Eq '^  overlong_shaping: true +# preset dapo$' "$work/show.txt" ||
  { echo "FAIL: reward.overlong_shaping not from preset dapo"; fail=1; }
grep -Eq '^  lr: (0\.0005|5e-04) +# .*grpo_math_parquet\.yaml:[0-9]+:[0-9]+$' "$work/show.txt" ||
  { echo "FAIL: grpo.lr not from the file"; fail=1; }
# (to a file first: grep -q would end the pipe early, and pipefail would count spct's SIGPIPE as a failure)
"$SPCT_BINARY" config show "$config" grpo.clip_high=0.3 > "$work/show-override.txt" 2>&1
grep -Eq '^  clip_high: 0\.3 +# override$' "$work/show-override.txt" ||
  { echo "FAIL: an override does not beat the preset"; fail=1; }

timeout -k 10 600 "$SPCT_BINARY" train "$config" "${data[@]}" run.dir="$work" run.steps=3 run.threads=1 \
  timeouts.step_s=120 > "$work/train.log" 2>&1 || { tail -30 "$work/train.log"; echo "FAIL: training failed"; exit 1; }
timeout -k 10 300 "$SPCT_BINARY" eval "$config" "${data[@]}" eval.target=policy model.path="$work/grpo_math/model" \
  run.dir="$work" run.name=eval run.threads=1 > "$work/eval.log" 2>&1 ||
  { tail -30 "$work/eval.log"; echo "FAIL: eval failed"; exit 1; }
grep -Eq 'mean@8 [0-9.]+  pass@1 [0-9.]+  pass@4 [0-9.]+  pass@8 [0-9.]+' "$work/eval.log" ||
  { cat "$work/eval.log"; echo "FAIL: the eval table has no mean@8/pass@k line"; fail=1; }

python3 - "$work" <<'PY' || fail=1
import json, math, sys
work = sys.argv[1]
fail = []
steps = [json.loads(line) for line in open(f"{work}/grpo_math/metrics.jsonl")]
if len(steps) != 3: fail.append(f"expected 3 steps, got {len(steps)}")
for m in steps:
    if "reward/math_match/mean" not in m or "reward/overlong/mean" not in m:
        fail.append(f"step {m.get('step')}: no math_match/overlong reward components: {sorted(m)}")
e = json.load(open(f"{work}/eval/eval.json"))
s = e["sampled"]
if e.get("verifier") != "math_match": fail.append(f"verifier {e.get('verifier')}")
n, counts = s["samples_per_item"], s["correct_per_item"]
if n != 8 or len(counts) != 32: fail.append(f"{len(counts)} items x {n} samples")
def pass_at(k):
    return sum(1 - (math.comb(n - c, k) / math.comb(n, k)) for c in counts) / len(counts)
got = s["pass_at_k"]
if sorted(got) != ["1", "4", "8"]: fail.append(f"pass@k for {sorted(got)}")
for k, value in got.items():
    if abs(value - pass_at(int(k))) > 1e-9: fail.append(f"pass@{k} {value} != {pass_at(int(k))}")
if abs(got.get("1", -1) - s["mean_at_n"]) > 1e-9: fail.append("pass@1 != mean@n")
if not got.get("1", 0) <= got.get("4", 0) <= got.get("8", 0): fail.append(f"pass@k not monotone: {got}")
print(f"greedy {e['accuracy']:.3f}, mean@8 {s['mean_at_n']:.3f}, " +
      ", ".join(f"pass@{k} {v:.3f}" for k, v in sorted(got.items(), key=lambda kv: int(kv[0]))))
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
((fail)) && exit 1
echo "PASS"
