#!/usr/bin/env bash
# Per-group overhead of the `command` and `http` reward kinds against an in-process rule, and the Python
# checker's own work on the same group (no protocol), so that the protocol's share can be read off.
# Usage: bench/rewards/external_overhead.sh [build dir, default build] [groups, default 2000]
set -euo pipefail
build=${1:-build}
groups=${2:-2000}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
python3 "$src/examples/rewards/http_server.py" --port 0 --port-file "$work/port" 2>/dev/null &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
"$build/bench/rewards/spct_bench_external_rewards" "$src/examples/rewards" "http://127.0.0.1:$(cat "$work/port")/reward" \
  "$groups"
python3 - "$src/examples/rewards" "$groups" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[1])
from math_answer import correct, extract
groups = int(sys.argv[2])
completions = ["19\n", "18\n", "19\n", "9\n", "19\n", "1\n", "19\n", "x\n"]
line = json.dumps({"prompt": "12+7=", "completions": completions, "answer": "19", "metadata": {}})
start = time.perf_counter()
for _ in range(groups):
    request = json.loads(line)
    extracted = [extract(c) for c in request["completions"]]
    json.dumps({"scores": [1.0 if correct(e, request["answer"]) else 0.0 for e in extracted]})
us = 1e6 * (time.perf_counter() - start) / groups
print(f"{'python work alone (parse+check+dump)':<38} {us:10.1f} us per group {us / len(completions):8.2f} us per completion")
PY
