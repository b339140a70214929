#!/usr/bin/env bash
# One GRPO step's time split by phase, and the idle shares, on a fixed config: the quickstart policy on 5 MPI
# ranks (orchestrator, rollout worker, reward worker, 2 learners), 40 steps; means over steps 5-40 (the first
# steps warm caches and allocators).
# Usage: bench/grpo_step/run.sh [BUILD_DIR] [extra overrides...]   (BUILD_DIR default: build)
set -euo pipefail
build=${1:-build}
shift || true
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/orchestrator/spct" train "$source_dir/configs/grpo_add.yaml" run.dir="$work" run.name=bench run.steps=40 \
  observe.progress=lines "$@" > "$work/log.txt" 2>&1 || { tail -20 "$work/log.txt"; exit 1; }
python3 - "$work/bench/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])][4:]
mean = lambda key: sum(r.get(key, 0) for r in rows) / len(rows)
step = mean("time/step_s")
print(f"GRPO step, quickstart policy, 5 ranks, mean of {len(rows)} steps: {step:.3f} s")
print(f"{'phase':<34}{'seconds':>9}{'share':>8}")
for name, key in [("generate (rollout worker)", "time/generate_s"), ("reward (reward worker)", "time/reward_s"),
                  ("learn (2 learners, all-reduce)", "time/learn_s"), ("weight sync", "time/sync_s"),
                  ("idle (in no phase)", "time/idle_s")]:
    print(f"{name:<34}{mean(key):>9.4f}{mean(key) / step:>8.1%}")
print("idle share per role: " + ", ".join(f"{role} {mean('time/' + role + '_idle_share'):.1%}"
                                          for role in ("rollout", "reward", "learner")))
print(f"tokens/s {mean('perf/tokens_per_s'):.0f}; verifier accuracy last step {rows[-1]['verifier/accuracy']:.3f}")
PY
