#!/usr/bin/env bash
# Peak RSS per learner rank with and without ZeRO sharding (distributed.zero_stage, docs/learner.md), side by
# side in one invocation: the same short GRPO run (configs/grpo_add.yaml's task and layout, a larger float32
# policy so that optimizer state shows: hidden 768, 8 layers, SwiGLU 2048, about 57M parameters) at stage 0 and
# stage 2, on 2 and on 4 learners. Every rank's VmHWM (/proc/PID/status) is polled while the run lives; roles
# come from `--dry-run`'s table, whose per-learner estimate is printed next to the measurement. Learner 0 writes
# the final checkpoint and so holds the whole optimizer state briefly whatever the stage: it is shown apart.
# Usage: bench/zero/run.sh [BUILD_DIR] [extra overrides...]   (BUILD_DIR default: build)
set -euo pipefail
build=${1:-build}
shift || true
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec python3 - "$build/orchestrator/spct" "$source_dir/configs/grpo_add.yaml" "$work" "$@" <<'PY'
import os, re, subprocess, sys, time
spct, config, work, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
model = ["model.hidden_size=768", "model.num_layers=8", "model.num_heads=12", "model.num_kv_heads=4",
         "model.intermediate_size=2048"]
common = [config, f"run.dir={work}", "run.steps=3", "sft.warmup_steps=0", "rollout.prompts_per_step=8",
          "rollout.group_size=4", "checkpoint.every=0"] + model + extra

def learner_rows(overrides):
    """{rank: estimated total GiB, grads+optim GiB} of the learners in --dry-run's table."""
    out = subprocess.run([spct, "train", *common, *overrides, "--dry-run"], capture_output=True, text=True,
                         check=True).stdout
    rows = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 9 and f[1] == "learner":
            rows[int(f[0])] = (float(f[5].rstrip("Gi")), float(f[8].rstrip("Gi")))
    return rows

def peak_rss(name, overrides):
    """{rank: peak RSS in MiB} of the ranks of one run."""
    proc = subprocess.Popen([spct, "train", *common, *overrides, f"run.name={name}"], stdout=subprocess.DEVNULL,
                            stderr=open(f"{work}/{name}.log", "w"))
    peaks = {}
    while proc.poll() is None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if f"run.name={name}".encode() not in open(f"/proc/{pid}/cmdline", "rb").read():
                    continue
                env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
                rank = next((int(e.split(b"=")[1]) for e in env if e.startswith(b"OMPI_COMM_WORLD_RANK=")), None)
                hwm = re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{pid}/status").read())
                if rank is not None and hwm:
                    peaks[rank] = max(peaks.get(rank, 0), int(hwm.group(1)) / 1024)
            except (OSError, ValueError):
                pass  # the process ended while read
        time.sleep(0.05)
    if proc.returncode != 0:
        sys.exit(f"run {name} failed (exit {proc.returncode}):\n" + open(f"{work}/{name}.log").read()[-3000:])
    return peaks

print("peak RSS per learner rank, MiB: learner 0 (writes the final checkpoint) and the mean of the others;")
print("the --dry-run estimate of one learner's grads+optim and total, GiB")
print(f"{'learners':>8} {'stage':>5} {'learner 0':>10} {'others':>8} {'others vs stage 0':>18} "
      f"{'est. grads+optim':>17} {'est. total':>11}")
for learners in (2, 4):
    base = None
    for stage in (0, 2):
        overrides = [f"layout.learners={learners}", f"distributed.zero_stage={stage}"]
        rows = learner_rows(overrides)
        peaks = peak_rss(f"l{learners}s{stage}", overrides)
        first, others = min(rows), sorted(rows)[1:]
        mean = sum(peaks[r] for r in others) / len(others)
        base = base or mean
        optim, total = rows[first]
        print(f"{learners:>8} {stage:>5} {peaks[first]:>10.0f} {mean:>8.0f} {mean / base:>18.2f} "
              f"{optim:>15.2f}Gi {total:>9.2f}Gi")
PY
