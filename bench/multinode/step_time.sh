#!/usr/bin/env bash
# Step time of the 5-rank GRPO job (configs/grpo_add.yaml) on one host (shared memory) and spread over 3
# namespace hosts (TCP only; scripts/netns-hosts.sh), side by side, with the bytes rank 0 sent and received per
# step: on the hosts, rank 0 (orchestrator) is alone on host 1, so its host's cable carries exactly its traffic;
# the rollout and reward workers share host 2, the two learners host 3. Needs root and a build (SPCT_BINARY,
# default build/orchestrator/spct). Usage: step_time.sh [STEPS] [PROMPTS_PER_STEP] [KEY=VALUE...]; the overrides
# go to both runs: observe.rollout_log_every=1 sends every payload via rank 0 (the route of old), 0 keeps them
# off it (docs/architecture.md). Prints the median of time/step_s and its parts over the steps after the first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${SPCT_BINARY:-$root/build/orchestrator/spct}
steps=${1:-30}
prompts=${2:-8}
shift $(($# < 2 ? $# : 2))
work=$(mktemp -d)
hosts=$work/hosts
trap 'bash "$root/scripts/netns-hosts.sh" stop "$hosts"; rm -rf "$work"' EXIT
bash "$root/scripts/netns-hosts.sh" start "$hosts" 3 >/dev/null
addr() { bash "$root/scripts/netns-hosts.sh" addr "$hosts" "$1"; }
args=("$root/configs/grpo_add.yaml" run.dir="$work" run.steps="$steps" rollout.prompts_per_step="$prompts"
      sft.warmup_steps=20 checkpoint.every=0 "$@")
stats=/sys/class/net/spv$(printf '%s' "$hosts" | sha256sum | cut -c1-6)1/statistics
bytes() { echo $(($(cat "$stats/rx_bytes") + $(cat "$stats/tx_bytes"))); }
OMP_NUM_THREADS=1 "$binary" train "${args[@]}" run.name=one > "$work/one.log" 2>&1
before=$(bytes)
bash "$root/scripts/netns-hosts.sh" mpirun "$hosts" -n 5 --host "$(addr 1):1,$(addr 2):2,$(addr 3):2" \
  -x OMP_NUM_THREADS=1 "$binary" train "${args[@]}" run.name=three > "$work/three.log" 2>&1
crossed=$(($(bytes) - before))
python3 - "$work" "$steps" "$crossed" <<'PY'
import json, statistics, sys
work, steps, crossed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys = ["time/step_s", "time/generate_s", "time/reward_s", "time/learn_s", "time/sync_s"]
print(f"{'':12}" + "".join(f"{k:>18}" for k in keys))
rows = {}
for name in ("one", "three"):
    lines = [json.loads(l) for l in open(f"{work}/{name}/metrics.jsonl")][1:]
    rows[name] = [statistics.median(m[k] for m in lines) for k in keys]
    print(f"{name + ' host' + ('s' if name == 'three' else ''):12}" + "".join(f"{v:>18.4f}" for v in rows[name]))
print(f"3 hosts / 1 host step time: {rows['three'][0] / rows['one'][0]:.2f}x; "
      f"rank 0 (host 1's cable): {crossed / steps / 1e6:.3f} MB per step (startup and warm start included)")
PY
