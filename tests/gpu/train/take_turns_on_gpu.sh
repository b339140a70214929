#!/usr/bin/env bash
# take_turns_on_gpu.sh <spct>: turn-taking on memory on one GPU (label gpu; exit 77, skipped, where spct sees no
# CUDA device). One colocated GRPO step of configs/gpu_colocated_0.5b.yaml (a Qwen2.5-0.5B-shaped policy with
# random bf16 weights) with layout.take_turns on and one with off: with turns the generation's peak CUDA memory
# (the caching allocator's peak allocated bytes, perf/gpu_generate_peak_mib) is lower by at least 90% of the
# optimizer state and gradients the run says it moved, the update's peak (perf/gpu_learn_peak_mib) is no higher
# than without (2% for allocator rounding), and both steps report the same rewards (same weights, same samples).
# With a second argument DIR (scripts/gpu-check.sh), both runs' metrics and logs are copied there.
set -uo pipefail
spct=$1
keep=${2:-}
config=$(dirname "$0")/../../../configs/gpu_colocated_0.5b.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$spct" train "$config" run.dir="$work" --dry-run > "$work/dry-run.txt" 2>&1; then
  grep -q "sees no CUDA device" "$work/dry-run.txt" && { echo "skipped: no CUDA device"; exit 77; }
  cat "$work/dry-run.txt"; echo "FAIL: --dry-run failed"; exit 1
fi
sed -n '/^phases of rank/,$p' "$work/dry-run.txt"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for turns in on off; do
  timeout 240 "$spct" train "$config" run.dir="$work" run.name="$turns" run.steps=1 sft.warmup_steps=0 \
    rollout.max_new_tokens=64 layout.take_turns="$turns" > "$work/$turns.log" 2>&1 ||
    { fail "take_turns=$turns: exit $?"; tail -30 "$work/$turns.log"; }
done
if [[ -n "$keep" ]]; then
  for turns in on off; do
    cp "$work/$turns/metrics.jsonl" "$keep/grpo-step-take-turns-$turns.jsonl" 2>/dev/null
    cp "$work/$turns.log" "$keep/grpo-step-take-turns-$turns.log"
  done
fi
moved=$(sed -n 's/.*optimizer state and gradients (\([0-9]*\) MiB).*/\1/p' "$work/on.log" | head -1)
[[ -n "$moved" ]] || fail "the run with turn-taking did not say it moved the optimizer state"
grep -q "optimizer state and gradients" "$work/off.log" && fail "the run without turn-taking moved the state"
python3 - "$work" "${moved:-0}" <<'PY' || fail "peaks"
import json, sys
work, moved = sys.argv[1], float(sys.argv[2])
on, off = (json.loads(open(f"{work}/{n}/metrics.jsonl").readline()) for n in ("on", "off"))
g_on, g_off = on["perf/gpu_generate_peak_mib"], off["perf/gpu_generate_peak_mib"]
l_on, l_off = on["perf/gpu_learn_peak_mib"], off["perf/gpu_learn_peak_mib"]
print(f"generation peak: {g_on:.0f} MiB with turn-taking, {g_off:.0f} MiB without (moved {moved:.0f} MiB)")
print(f"update peak:     {l_on:.0f} MiB with turn-taking, {l_off:.0f} MiB without")
print(f"step peak:       {max(g_on, l_on):.0f} MiB with turn-taking, {max(g_off, l_off):.0f} MiB without")
bad = []
if not g_off - g_on >= 0.9 * moved: bad.append("the generation peak did not drop by the state moved")
if not l_on <= 1.02 * l_off: bad.append("the update peak rose")
if on["reward/mean"] != off["reward/mean"]: bad.append("the two steps sampled differently")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
((failures)) && { echo "0 passed, 1 failed"; exit 1; }
echo "1 passed, 0 failed"
