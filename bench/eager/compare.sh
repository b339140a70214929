#!/usr/bin/env bash
# spct against a plain PyTorch-eager loop (bench/eager/eager_loop.py) on the same libtorch, same shapes, as
# ratios from one invocation, the two sides interleaved repetition by repetition (the machine is shared):
#   1. generation, batch 64, vocabulary 128k (d_model 256, 2 layers, 32-token prompts, NEW_TOKENS sampled at
#      temperature 1): spct's models::generate (build/bench/eager/spct_bench_generate) vs the eager KV-cache loop,
#      tokens/s; both with 2 intra-op threads.
#   2. the whole colocated GRPO step of configs/grpo_add.yaml (32 prompts x 8 completions, <= 8 new tokens, the
#      2-layer d_model 64 policy, no warm start): `spct train` with layout.colocate=true vs the eager GRPO step,
#      median seconds per step over steps 3..STEPS; both with the thread count spct chooses (1 for this policy).
# Prints medians over REPS repetitions, the spct / eager ratios and the load average before and after.
# Usage: bench/eager/compare.sh [BUILD_DIR=build] [REPS=3] [NEW_TOKENS=16] [STEPS=15]
# The eager side runs with $SPCT_PYTHON (default .venv/bin/python) and OMP_WAIT_POLICY=PASSIVE, its best case.
set -euo pipefail
build=${1:-build}
reps=${2:-3}
new_tokens=${3:-16}
steps=${4:-15}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
python=${SPCT_PYTHON:-$source_dir/.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
gen_shape=(--batch 64 --vocab 131072 --hidden 256 --layers 2 --heads 4 --kv-heads 2 --intermediate 704 --prompt 32
  --new-tokens "$new_tokens")
grpo_shape=(--hidden 64 --layers 2 --heads 4 --kv-heads 2 --intermediate 128 --new-tokens 8 --prompts 32 --group 8)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$reps"); do
  "$build/bench/eager/spct_bench_generate" "${gen_shape[@]}" --threads 2 >> "$work/gen_spct.jsonl"
  "$python" "$source_dir/bench/eager/eager_loop.py" gen "${gen_shape[@]}" --threads 2 >> "$work/gen_eager.jsonl"
  "$build/orchestrator/spct" train "$source_dir/configs/grpo_add.yaml" run.dir="$work/runs" run.name="spct$rep" \
    run.steps="$steps" layout.colocate=true sft.warmup_steps=0 observe.progress=lines > "$work/spct$rep.log" 2>&1 ||
    { tail -20 "$work/spct$rep.log"; exit 1; }
  threads=$(sed -n 's/.*all roles in this process, \([0-9]*\) threads.*/\1/p' "$work/spct$rep.log" | head -1)
  "$python" "$source_dir/bench/eager/eager_loop.py" grpo "${grpo_shape[@]}" --steps "$steps" \
    --threads "${threads:-1}" >> "$work/grpo_eager$rep.jsonl"
  echo "repetition $rep of $reps done (load $(cut -d' ' -f1 /proc/loadavg); spct GRPO threads ${threads:-?})"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$work" "$reps" <<'PY'
import json, statistics, sys
work, reps = sys.argv[1], int(sys.argv[2])
rows = lambda path: [json.loads(line) for line in open(path) if line.startswith("{")]
gen = {side: rows(f"{work}/gen_{side}.jsonl") for side in ("spct", "eager")}
tps = {side: statistics.median(r["tokens_per_s"] for r in gen[side]) for side in gen}
cpu = {side: statistics.median(r["tokens"] / r["cpu_s"] for r in gen[side]) for side in gen}
print(f"generation, batch 64, vocab 131072, {gen['spct'][0]['tokens'] // 64} new tokens, median of {reps}:")
for side in ("spct", "eager"):
    print(f"  {side:<6} {tps[side]:9.1f} tokens/s  {cpu[side]:9.1f} tokens per CPU-second")
print(f"  spct / eager: {tps['spct'] / tps['eager']:.2f}x tokens/s, {cpu['spct'] / cpu['eager']:.2f}x per CPU-second")
step = {"spct": [], "eager": []}
for rep in range(1, reps + 1):
    spct_rows = rows(f"{work}/runs/spct{rep}/metrics.jsonl")[2:]
    step["spct"].append(statistics.median(r["time/step_s"] for r in spct_rows))
    step["eager"].append(statistics.median(r["step_s"] for r in rows(f"{work}/grpo_eager{rep}.jsonl")[2:]))
med = {side: statistics.median(v) for side, v in step.items()}
print(f"colocated GRPO step, configs/grpo_add.yaml shape, median over steps 3.. of each run, median of {reps} runs:")
for side in ("spct", "eager"):
    print(f"  {side:<6} {med[side]:.4f} s/step  (runs: {', '.join(f'{s:.4f}' for s in step[side])})")
print(f"  spct / eager step time: {med['spct'] / med['eager']:.2f} (<= 1: spct no slower)")
PY
