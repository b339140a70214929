#!/usr/bin/env bash
# Peak RSS and seconds per step of the learner ranks with and without ZeRO sharding (distributed.zero_stage,
# docs/learner.md), side by side in one invocation: the same short GRPO run (configs/grpo_add.yaml's task and
# layout, a larger float32 policy so that optimizer state and gradients show: hidden 768, 8 layers, SwiGLU 2048,
# about 57M parameters) at stages 0, 1 and 2, on 2 and on 4 learners. With BEFORE=/path/to/other/spct, stage 2
# also runs with that binary (e.g. a build from before a change) in the same invocation, as "2 (before)".
# Every rank's VmHWM (/proc/PID/status) is polled while the run lives; roles come from `--dry-run`'s table,
# whose per-learner estimate is printed next to the measurement. Learner 0 writes the final checkpoint and so
# holds the whole optimizer state briefly whatever the stage: it is shown apart. Seconds per step: the mean of
# metrics.jsonl's time/step_s and time/learn_s (the learners' update) over the steps after the first.
# Usage: [BEFORE=spct] bench/zero/run.sh [BUILD_DIR] [extra overrides...]   (BUILD_DIR default: build)
set -euo pipefail
build=${1:-build}
shift || true
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec python3 - "$build/orchestrator/spct" "${BEFORE:-}" "$source_dir/configs/grpo_add.yaml" "$work" "$@" <<'PY'
import json, os, re, shutil, subprocess, sys, time
spct, before, config, work, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
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

def peak_rss(binary, name, overrides):
    """{rank: peak RSS in MiB} of the ranks of one run."""
    proc = subprocess.Popen([binary, "train", *common, *overrides, f"run.name={name}"], stdout=subprocess.DEVNULL,
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

def seconds_per_step(name):
    """Mean time/step_s and time/learn_s of one run, its first step (warm-up) left out."""
    steps = [json.loads(line) for line in open(f"{work}/{name}/metrics.jsonl")][1:]
    return tuple(sum(m[key] for m in steps) / len(steps) for key in ("time/step_s", "time/learn_s"))

print("peak RSS per learner rank, MiB: learner 0 (writes the final checkpoint) and the mean of the others;")
print("seconds per step (whole step, learners' update); the --dry-run estimate of one learner, GiB")
print(f"{'learners':>8} {'stage':>10} {'learner 0':>10} {'others':>8} {'others vs stage 0':>18} {'step s':>7} "
      f"{'learn s':>8} {'est. grads+optim':>17} {'est. total':>11}")
runs = [(0, spct, "0"), (1, spct, "1"), (2, spct, "2")] + ([(2, before, "2 (before)")] if before else [])
for learners in (2, 4):
    base = None
    for stage, binary, label in runs:
        overrides = [f"layout.learners={learners}", f"distributed.zero_stage={stage}"]
        rows = learner_rows(overrides)
        name = f"l{learners}s{label.replace(' (before)', 'b')}"
        peaks = peak_rss(binary, name, overrides)
        step_s, learn_s = seconds_per_step(name)
        shutil.rmtree(f"{work}/{name}", ignore_errors=True)  # its checkpoint: the disk holds one run's at a time
        first, others = min(rows), sorted(rows)[1:]
        mean = sum(peaks[r] for r in others) / len(others)
        base = base or mean
        optim, total = rows[first]
        print(f"{learners:>8} {label:>10} {peaks[first]:>10.0f} {mean:>8.0f} {mean / base:>18.2f} {step_s:>7.2f} "
              f"{learn_s:>8.2f} {optim:>15.2f}Gi {total:>9.2f}Gi", flush=True)
PY
