#!/usr/bin/env bash
# The GRPO job on 5 real MPI ranks (orchestrator, rollout worker, reward worker, 2 learners), launched by
# `spct train` itself: verifier accuracy rises over the run, the learners hold identical weights after every
# step (run.verify_learner_sync stops the run otherwise), and the same seed twice gives identical metrics
# (timings aside).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(run.dir="$work" run.steps=60 layout.learners=2 run.verify_learner_sync=true)
for name in a b; do
  timeout 600 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" "${common[@]}" run.name=$name \
    > "$work/$name.log" 2>&1 || { tail -30 "$work/$name.log"; echo "FAIL: run $name failed"; exit 1; }
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
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
for f in fail: print("FAIL:", f)
print(f"{1 if not fail else 0} passed, {1 if fail else 0} failed")
sys.exit(1 if fail else 0)
PY
