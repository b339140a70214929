#!/usr/bin/env bash
# The overlapped weight sync (distributed/weight_sync.h) changes nothing a run generates: in asynchronous mode the
# rollout worker of a 4-rank run receives each new version while it generates the next step's groups, and swaps
# it in at the step boundary. Its rollouts must be those of the colocated run of the same config and seed, where
# the rollout engine reads the learner's own weights and nothing is transferred: the same completions from the
# same policy versions, the same rewards, advantages and sample metrics, step for step. (Log-probs and losses
# are left out: the learner's float summation differs between the two layouts in the last bits.)
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(run.dir="$work" run.steps=8 rollout.mode=async observe.rollout_log_every=1 observe.rollout_log_compress=none
  sft.warmup_steps=40)
timeout 600 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" "${common[@]}" run.name=mpi \
  layout.learners=1 > "$work/mpi.log" 2>&1 || { tail -30 "$work/mpi.log"; echo "FAIL: the MPI run failed"; exit 1; }
timeout 600 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" "${common[@]}" run.name=colocated \
  layout.colocate=true > "$work/colocated.log" 2>&1 ||
  { tail -30 "$work/colocated.log"; echo "FAIL: the colocated run failed"; exit 1; }
python3 - "$work" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
fail = []
def records(run):
    out = []
    for path in sorted(glob.glob(f"{work}/{run}/rollouts/step-*.jsonl")):
        for line in open(path):
            r = json.loads(line)
            r.pop("logprob_sum", None)
            out.append(r)
    return out
def metrics(run):
    keep = lambda k: k.startswith(("reward", "verifier/", "policy/", "batch/", "length/"))
    return [{k: v for k, v in json.loads(line).items() if keep(k)} for line in open(f"{work}/{run}/metrics.jsonl")]
mpi, colocated = records("mpi"), records("colocated")
steps = sorted({r["step"] for r in mpi})
if steps != list(range(8)): fail.append(f"rollouts logged for steps {steps}, want 0-7")
versions = sorted({(r["step"], r["policy_version"]) for r in mpi})
if versions != [(0, 0)] + [(s, s - 1) for s in range(1, 8)]:
    fail.append(f"policy versions {versions} are not one update behind")
if mpi != colocated:
    first = next((i for i, (a, b) in enumerate(zip(mpi, colocated)) if a != b), min(len(mpi), len(colocated)))
    fail.append(f"{len(mpi)} and {len(colocated)} records; first difference at record {first}: "
                f"{mpi[first] if first < len(mpi) else None} vs {colocated[first] if first < len(colocated) else None}")
m, c = metrics("mpi"), metrics("colocated")
if not m or m != c: fail.append("sample metrics differ between the overlapped MPI run and the colocated run")
synced = [json.loads(line).get("sync/weight_bytes", 0) for line in open(f"{work}/mpi/metrics.jsonl")]
if not all(b > 0 for b in synced): fail.append(f"the MPI run did not sync weights every step: {synced}")
for f in fail: print("FAIL:", f)
print(f"{len(mpi)} records over {len(steps)} steps compared; {'passed' if not fail else 'failed'}")
sys.exit(1 if fail else 0)
PY
