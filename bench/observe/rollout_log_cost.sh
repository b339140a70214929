#!/usr/bin/env bash
# What rollout logs cost a real training step: three otherwise identical colocated GRPO runs of the built-in
# task (observe.rollout_log_every 1 with zstd, 1 with none, 0 = off), run one after the other on the same
# machine, compared by their metrics.jsonl: the time the log took per step (time/rollout_log_s: decoding the
# texts, JSON, compression, the write and rename, the TensorBoard text), the step time, and the bytes on disk
# and in JSON per step. Usage: bench/observe/rollout_log_cost.sh [SPCT_BINARY] [steps=30] [overrides...]
# (e.g. rollout.prompts_per_step=64 rollout.group_size=8 rollout.max_new_tokens=16 for bigger steps).
set -euo pipefail
spct=${1:-build/orchestrator/spct}
steps=${2:-30}
shift $(( $# >= 2 ? 2 : $# ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in zstd none off; do
  every=1 compress=$mode
  [[ $mode == off ]] && every=0 compress=zstd
  "$spct" train run.dir="$work" run.name="$mode" run.steps="$steps" layout.colocate=true sft.warmup_steps=20 \
    observe.rollout_log_every=$every observe.rollout_log_compress=$compress observe.progress=lines \
    observe.progress_every_steps=1000 "$@" > "$work/$mode.log" 2>&1
done
python3 - "$work" "$steps" <<'PY'
import glob, json, os, statistics, subprocess, sys
work, steps = sys.argv[1], int(sys.argv[2])
print(f"{'mode':6} {'step ms (median)':>17} {'log ms/step':>12} {'file bytes/step':>16} {'JSON bytes/step':>16} {'records/step':>13}")
for mode in ("zstd", "none", "off"):
    m = [json.loads(l) for l in open(f"{work}/{mode}/metrics.jsonl")][1:]  # step 0 warms caches up
    step_ms = statistics.median(x["time/step_s"] for x in m) * 1e3
    log_ms = statistics.mean(x.get("time/rollout_log_s", 0) for x in m) * 1e3
    files = sorted(glob.glob(f"{work}/{mode}/rollouts/step-*"))
    disk = statistics.mean(os.path.getsize(f) for f in files) if files else 0
    if files and files[0].endswith(".zst"):
        raw = statistics.mean(len(subprocess.run(["zstdcat", f], capture_output=True, check=True).stdout) for f in files)
    else:
        raw = disk
    records = statistics.mean(x.get("rollouts/records", 0) for x in m)
    print(f"{mode:6} {step_ms:17.1f} {log_ms:12.3f} {disk:16.0f} {raw:16.0f} {records:13.0f}")
PY
