#!/usr/bin/env bash
# One GRPO step's time split by phase, and the idle shares, on a fixed config: the GRPO-on-add policy
# (configs/grpo_add.yaml) on 5 MPI ranks (orchestrator, rollout worker, reward worker, 2 learners), 40 steps,
# once in synchronous mode and once in asynchronous mode (rollout.mode); means over steps 5-40 (the first steps
# warm caches and allocators), and the ratio of the two step times from this one invocation.
# Usage: bench/grpo_step/run.sh [BUILD_DIR] [extra overrides...]   (BUILD_DIR default: build)
set -euo pipefail
build=${1:-build}
shift || true
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in sync async; do
  "$build/orchestrator/spct" train "$source_dir/configs/grpo_add.yaml" run.dir="$work" run.name=$mode run.steps=40 \
    observe.progress=lines rollout.mode=$mode "$@" > "$work/$mode.txt" 2>&1 || { tail -20 "$work/$mode.txt"; exit 1; }
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
steps = {}
for mode in ("sync", "async"):
    rows = [json.loads(line) for line in open(f"{work}/{mode}/metrics.jsonl")][4:]
    mean = lambda key: sum(r.get(key, 0) for r in rows) / len(rows)
    step = steps[mode] = mean("time/step_s")
    learners = int(rows[0].get("learner/count", 1))
    print(f"{mode}: GRPO step, grpo_add policy, {learners} learner(s), mean of {len(rows)} steps: {step:.3f} s")
    print(f"  {'phase':<34}{'seconds':>9}{'share':>8}")
    for name, key in [("generate (rollout worker)", "time/generate_s"), ("reward (reward worker)", "time/reward_s"),
                      ("learn (learners, all-reduce)", "time/learn_s"), ("weight sync", "time/sync_s"),
                      ("idle (in no phase)", "time/idle_s")]:
        print(f"  {name:<34}{mean(key):>9.4f}{mean(key) / step:>8.1%}")
    print("  idle share per role: " + ", ".join(f"{role} {mean('time/' + role + '_idle_share'):.1%}"
                                              for role in ("rollout", "reward", "learner")))
    print(f"  tokens/s {mean('perf/tokens_per_s'):.0f}; policy version lag {mean('policy/version_lag'):.2f}; "
          f"verifier accuracy, mean of the last 10 steps {sum(r['verifier/accuracy'] for r in rows[-10:]) / 10:.3f}")
print(f"async / sync step time: {steps['async'] / steps['sync']:.2f}")
PY
