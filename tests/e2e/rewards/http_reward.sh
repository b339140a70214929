#!/usr/bin/env bash
# The `http` reward kind for real: examples/rewards/http_server.py on loopback scores a colocated `spct train`
# (the math checker agrees with exact_match, nothing dropped, its info in the rollout log); then,
# with the server stopped, every group fails to connect, is retried and dropped, and the run fails naming the URL.
set -uo pipefail
work=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
python3 "$SPCT_SOURCE_DIR/examples/rewards/http_server.py" --port 0 --port-file "$work/port" 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || { cat "$work/server.log"; echo "FAIL: the reward server did not start"; exit 1; }
url=http://127.0.0.1:$(cat "$work/port")/reward
run() {  # $1: run name, $2: options after the URL
  timeout 300 "$SPCT_BINARY" train run.dir="$work" run.name="$1" layout.colocate=true run.steps=3 sft.warmup_steps=60 \
    "reward.functions=[exact_match, \"math=http:$url$2\"]" > "$work/$1.log" 2>&1
}
fail=0
run up "" || { tail -20 "$work/up.log"; echo "FAIL: run with the http reward failed"; exit 1; }
python3 - "$work/up/metrics.jsonl" <<'PY' || fail=1
import json, sys
steps = [json.loads(line) for line in open(sys.argv[1])]
fail = []
for m in steps:
    if abs(m["reward/exact_match/mean"] - m["reward/math/mean"]) > 0.02: fail.append(f"step {m['step']}: disagree")
    if m["reward/dropped_groups"] != 0: fail.append(f"step {m['step']}: groups dropped")
if len(steps) != 3 or max(m["reward/math/mean"] for m in steps) <= 0: fail.append("no right answer scored")
print("\n".join("FAIL: " + f for f in fail) or "http: the server scored every group")
sys.exit(1 if fail else 0)
PY
# The server's info for each completion is in the rollout log of step 0 (observe.rollout_log_every 10).
python3 - "$work/up/rollouts/step-00000000.jsonl.zst" "$SPCT_SOURCE_DIR/examples/rewards" <<'PY' || fail=1
import json, subprocess, sys
sys.path.insert(0, sys.argv[2])
from math_answer import extract
lines = [json.loads(l) for l in subprocess.run(["zstdcat", sys.argv[1]], check=True, capture_output=True,
                                                text=True).stdout.splitlines()]
bad = [l for l in lines if l.get("info") != {"math": {"extracted": extract(l["completion"])}}]
print(f"FAIL: {len(bad)} of {len(lines)} lines without the server's info, e.g. {bad[:1]}" if bad or not lines
      else f"http: the server's info is in all {len(lines)} lines of the rollout log")
sys.exit(1 if bad or not lines else 0)
PY
kill $server; wait $server 2>/dev/null; server=
run down ";timeout_s=2;retries=1;max_dropped_share=0.1"
code=$?
[[ $code -ne 0 && $code -ne 124 ]] || { echo "FAIL: run without its server did not fail (exit $code)"; fail=1; }
grep -q "reward math (http $url): .*127.0.0.1" "$work/down.log" || { echo "FAIL: the URL is not named"; fail=1; }
grep -q "more than max_dropped_share=0.1" "$work/down.log" || { echo "FAIL: the dropped share is not named"; fail=1; }
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { tail -5 "$work/down.log"; echo "0 passed, 1 failed"; }
exit $fail
