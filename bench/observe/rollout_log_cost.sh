#!/usr/bin/env bash
# What rollout logs cost a real training run: three otherwise identical colocated GRPO runs of the built-in
# task (observe.rollout_log_every 1 with zstd, 1 with none, 0 = off), run one after the other on the same
# machine, compared by their metrics.jsonl and wall time:
#   step ms      median time/step_s (sampling, rewards, update; the log is written after it is measured)
#   log ms       mean time/rollout_log_s per logged step: decoding the texts, JSON, compression, the write and
#                rename, the TensorBoard text
#   overhead     log ms / step ms of the same run
#   wall s       the whole `spct train` command (start-up and warm start included)
#   bytes/compl  bytes on disk and JSON bytes per completion
# Usage: bench/observe/rollout_log_cost.sh [SPCT_BINARY] [steps=30] [overrides...]
# (e.g. sft.warmup_steps=0 rollout.max_new_tokens=64: the untrained policy's completions run to the limit).
set -euo pipefail
spct=${1:-build/orchestrator/spct}
steps=${2:-30}
shift $(($# >= 2 ? 2 : $#))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in zstd none off; do
  every=1 compress=$mode
  [[ $mode == off ]] && every=0 compress=zstd
  start=$(date +%s.%N)
  "$spct" train run.dir="$work" run.name="$mode" run.steps="$steps" layout.colocate=true \
    observe.rollout_log_every=$every observe.rollout_log_compress=$compress observe.progress=lines \
    observe.progress_every_steps=1000 "$@" > "$work/$mode.log" 2>&1 || { tail -5 "$work/$mode.log"; exit 1; }
  echo "$(date +%s.%N) - $start" | bc > "$work/$mode.wall"
done
python3 - "$work" <<'PY'
import glob, json, os, statistics, subprocess, sys
work = sys.argv[1]
print(f"{'mode':5} {'step ms':>8} {'log ms':>7} {'overhead':>8} {'wall s':>7} {'disk B/compl':>12} {'JSON B/compl':>12} {'compl/step':>10}")
for mode in ("zstd", "none", "off"):
    m = [json.loads(l) for l in open(f"{work}/{mode}/metrics.jsonl")][1:]  # step 0 warms caches up
    step_ms = statistics.median(x["time/step_s"] for x in m) * 1e3
    log_ms = statistics.mean(x.get("time/rollout_log_s", 0) for x in m) * 1e3
    files = sorted(glob.glob(f"{work}/{mode}/rollouts/step-*"))
    lines = disk = raw = 0
    for f in files:
        text = subprocess.run(["zstdcat", "-f", f], capture_output=True, check=True).stdout
        disk, raw, lines = disk + os.path.getsize(f), raw + len(text), lines + text.count(b"\n")
    per = lambda b: f"{b / lines:.0f}" if lines else "-"
    wall = float(open(f"{work}/{mode}.wall").read())
    print(f"{mode:5} {step_ms:8.1f} {log_ms:7.2f} {log_ms / step_ms:8.1%} {wall:7.1f} {per(disk):>12} {per(raw):>12} "
          f"{lines / len(files) if files else 0:10.0f}")
PY
