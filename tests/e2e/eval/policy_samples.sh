#!/usr/bin/env bash
# `spct eval` of a policy with eval.samples: a tiny policy warm-started on `count` (which answers `1` to most
# problems) is evaluated greedily and with 8 sampled completions per held-out problem. The sampled figure is
# deterministic under run.seed (two runs write the same per-item counts), changes with the seed, counts
# items x samples, and is not the greedy figure; a temperature of 0 for the samples is refused.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
run() {  # run NAME ARGS...: runs spct, shows its log tail on failure
  local name=$1
  shift
  timeout -k 10 300 "$SPCT_BINARY" "$@" run.dir="$work" run.name="$name" run.threads=1 > "$work/$name.log" 2>&1 || {
    tail -30 "$work/$name.log"
    echo "FAIL: $name failed"
    exit 1
  }
}

run warm train run.steps=0 layout.colocate=true data.task=count sft.warmup_steps=60 sft.batch_size=32 sft.lr=0.001
[[ -s "$work/warm/model/config.json" ]] || { echo "FAIL: the warm start exported no model"; exit 1; }
sampled=(eval eval.target=policy data.task=count data.eval_size=64 rollout.max_new_tokens=8
         model.path="$work/warm/model" eval.samples=8)
run seed1 "${sampled[@]}" run.seed=1
run seed1_again "${sampled[@]}" run.seed=1
run seed2 "${sampled[@]}" run.seed=2 eval.temperature=1.5
grep -q "policy sampled accuracy (exact_match, 8 samples per item at temperature 1)" "$work/seed1.log" ||
  { echo "FAIL: the table has no sampled line"; cat "$work/seed1.log"; fail=1; }

python3 - "$work" <<'PY' || fail=1
import json, sys
work = sys.argv[1]
a, b, c = (json.load(open(f"{work}/{name}/eval.json")) for name in ("seed1", "seed1_again", "seed2"))
fail = []
s = a["sampled"]
if a["items"] != 64 or s["samples_per_item"] != 8 or s["completions"] != 64 * 8:
    fail.append(f"counts: {a['items']} items, {s['samples_per_item']} per item, {s['completions']} completions")
if len(s["correct_per_item"]) != 64 or sum(s["correct_per_item"]) != s["correct"]:
    fail.append("correct_per_item does not add up to correct")
if not all(0 <= k <= 8 for k in s["correct_per_item"]): fail.append("an item has more than 8 correct samples")
if abs(s["accuracy"] - s["correct"] / s["completions"]) > 1e-12: fail.append("sampled accuracy is not correct/n")
if b["sampled"]["correct_per_item"] != s["correct_per_item"] or b["correct"] != a["correct"]:
    fail.append("two runs with run.seed 1 differ")
if c["sampled"]["correct_per_item"] == s["correct_per_item"]: fail.append("seed 2 at temperature 1.5 sampled the same")
if c["sampled"]["temperature"] != 1.5: fail.append(f"temperature {c['sampled']['temperature']}")
if s["accuracy"] == a["accuracy"]: fail.append(f"sampled accuracy equals greedy ({s['accuracy']})")
print(f"greedy {a['accuracy']:.3f}, sampled {s['accuracy']:.3f} ({s['correct']}/{s['completions']}); "
      f"seed 2 at temperature 1.5: {c['sampled']['accuracy']:.3f}")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY

"$SPCT_BINARY" "${sampled[@]}" run.dir="$work" run.name=cold eval.temperature=0 > "$work/cold.log" 2>&1
code=$?
[[ $code -eq 2 ]] && grep -q "eval.temperature" "$work/cold.log" ||
  { echo "FAIL: eval.temperature 0: exit $code"; cat "$work/cold.log"; fail=1; }

((fail)) && exit 1
echo "PASS"
