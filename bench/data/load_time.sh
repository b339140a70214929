#!/usr/bin/env bash
# Parquet vs JSONL load time of the same prompt dataset (default 100k GSM8K-shaped items: a ~250-character
# question and a worked solution ending in "#### N"), through spct's loader (every record checked, the file
# hashed), beside the plain Python reads of the same files (json.loads per line; pyarrow.parquet.read_table and
# to_pylist), best of REPEATS runs each.
# Usage: bench/data/load_time.sh [build dir, default build] [items, default 100000] [repeats, default 3]
set -euo pipefail
build=${1:-build}
items=${2:-100000}
repeats=${3:-3}
src=$(cd "$(dirname "$0")/../.." && pwd)
python=${SPCT_PYTHON:-$src/.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" - "$work" "$items" <<'PY'
import json, random, sys
import pyarrow as pa, pyarrow.parquet as pq
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
rows = {"id": [], "prompt": [], "answer": []}
for i in range(n):
    a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 9)
    rows["id"].append(i)
    rows["prompt"].append(f"Natalia sold clips to {a} of her friends in April, and then she sold {c} times as many "
                          f"clips in May, and {b} more in June. How many clips did Natalia sell altogether in April, "
                          f"May and June? Put the final answer after ####.")
    rows["answer"].append(f"In May she sold {a}*{c} = {a * c} clips. In June {b}. Altogether {a}+{a * c}+{b} = "
                          f"{a + a * c + b}.\n#### {a + a * c + b}")
with open(f"{work}/prompts.jsonl", "w") as out:
    for i in range(n):
        out.write(json.dumps({k: rows[k][i] for k in rows}) + "\n")
pq.write_table(pa.table(rows), f"{work}/prompts.parquet")
PY
ls -l "$work"/prompts.* | awk '{printf "%-12s %6.1f MB\n", $NF ~ /parquet$/ ? "parquet" : "jsonl", $5 / 1e6}'
echo "spct (load_prompt_file: parse, check every record, SHA-256 of the file):"
"$build/bench/data/spct_bench_datasets" "$repeats" "$work/prompts.jsonl" "$work/prompts.parquet" | sed "s|$work/||"
echo "plain Python reads of the same files (no checks, no hash):"
"$python" - "$work" "$repeats" <<'PY'
import json, sys, time
import pyarrow.parquet as pq
work, repeats = sys.argv[1], int(sys.argv[2])
def best(load):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        n = load()
        times.append(time.perf_counter() - start)
    return n, min(times)
def jsonl():
    with open(f"{work}/prompts.jsonl") as f:
        return len([json.loads(line) for line in f])
def parquet():
    return len(pq.read_table(f"{work}/prompts.parquet").to_pylist())
for name, load in (("json.loads per line", jsonl), ("pyarrow read_table + to_pylist", parquet)):
    n, t = best(load)
    print(f"{name:<44} {n:8d} items {t:8.3f} s {n / t:10.0f} items/s")
PY
