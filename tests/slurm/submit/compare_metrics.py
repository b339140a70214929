"""compare_metrics.py A B: the two runs' metrics.jsonl agree step by step (timings aside); exit 1 otherwise."""
import json
import sys


def load(run_dir):
    with open(f"{run_dir}/metrics.jsonl") as f:
        return [json.loads(line) for line in f]


def comparable(m):
    return {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}


a, b = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"{len(a)} steps against {len(b)}")
for i, (x, y) in enumerate(zip(a, b)):
    if comparable(x) != comparable(y):
        diff = {k: (x.get(k), y.get(k)) for k in comparable(x).keys() | comparable(y).keys() if x.get(k) != y.get(k)}
        sys.exit(f"step {i + 1} differs: {diff}")
print(f"{len(a)} steps agree")
