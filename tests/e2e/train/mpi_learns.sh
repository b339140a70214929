#!/usr/bin/env bash
# The GRPO job on 5 real MPI ranks (orchestrator, rollout worker, reward worker, 2 learners), launched by
# `spct train` itself: verifier accuracy rises over the run, the learners hold identical weights after every
# step (run.verify_learner_sync stops the run otherwise), and the same seed twice gives identical metrics
# (timings aside). Argument: the rollout mode, sync (default) or async; in async mode every step after the
# first trains on groups sampled one update behind, with the importance correction reported.
set -uo pipefail
mode=${1:-sync}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(run.dir="$work" run.steps=60 layout.learners=2 run.verify_learner_sync=true rollout.mode="$mode")
for name in a b; do
  timeout 600 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" "${common[@]}" run.name=$name \
    > "$work/$name.log" 2>&1 || { tail -30 "$work/$name.log"; echo "FAIL: run $name failed"; exit 1; }
done
python3 - "$work" "$mode" <<'PY'
import json, sys
work, mode = sys.argv[1], sys.argv[2]
def load(name):
    return [json.loads(line) for line in open(f"{work}/{name}/metrics.jsonl")]
a, b = load("a"), load("b")
fail = []
if len(a) != 60: fail.append(f"expected 60 steps, got {len(a)}")
if any(m.get("learner/weights_in_sync") != 1 for m in a): fail.append("learner weights not verified in sync")
strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}
if [strip(m) for m in a] != [strip(m) for m in b]: fail.append("same seed, different metrics")
acc = [m["verifier/accuracy"] for m in a]
first, last = sum(acc[:10]) / 10, sum(acc[-10:]) / 10
print(f"verifier accuracy: first 10 steps {first:.3f}, last 10 steps {last:.3f}")
if not last > first + 0.05: fail.append(f"accuracy did not rise: {first:.3f} -> {last:.3f}")
lags = [m["policy/version_lag"] for m in a]
want = [0.0] * len(a) if mode == "sync" else [0.0] + [1.0] * (len(a) - 1)
if lags != want: fail.append(f"policy/version_lag {lags[:5]}... not the {mode} mode's {want[:5]}...")
weighted = [m for m in a if "loss/importance_weight_mean" in m]
if mode == "async":
    if len(weighted) != len(a): fail.append("async steps without loss/importance_weight_mean")
    elif not all(0.5 < m["loss/importance_weight_mean"] < 2.0 for m in weighted):
        fail.append("importance weights out of range: " + str([m["loss/importance_weight_mean"] for m in weighted]))
elif weighted: fail.append("importance weights reported in sync mode")
for f in fail: print("FAIL:", f)
print(f"{1 if not fail else 0} passed, {1 if fail else 0} failed")
sys.exit(1 if fail else 0)
PY
