#!/usr/bin/env bash
# A training run whose remote GRM is down or hangs (grm.backend remote, real `spct train` processes, servers on
# loopback): with nothing listening and grm.remote_fallback unparsable, the circuit breaker opens after
# grm.remote_breaker_failures failed requests and the steps go on without sending more (before the breaker every
# request was retried to exhaustion, a minute per step); with a server that accepts and never answers and
# fallback fail, the run fails with an error naming the URL; settings under which a hung server could outlast
# timeouts.step_s are refused before anything starts, naming the keys.
set -uo pipefail
work=$(mktemp -d)
hung_pid=
cleanup() {
  [[ -n "$hung_pid" ]] && kill "$hung_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}

# A port nothing listens on.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
common=(layout.colocate=true run.dir="$work" run.threads=1 sft.warmup_steps=0 'reward.functions=[grm,exact_match]'
  grm.backend=remote grm.samples=2 grm.remote_concurrency=2 grm.remote_retries=3 grm.remote_breaker_failures=3)

# 1. Nothing listening, fallback unparsable. The cool-down outlasts the run, so no probe is sent.
timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name=down run.steps=3 grm.remote_url="http://127.0.0.1:$port" \
  grm.remote_fallback=unparsable grm.remote_breaker_cooldown_s=3600 > "$work/down.log" 2>&1
code=$?
check "the run with the GRM down exits 0" test $code -eq 0
[[ $code -eq 0 ]] || tail -20 "$work/down.log"
python3 - "$work/down/metrics.jsonl" <<'PY' || fail=1
import json, sys
steps = [json.loads(line) for line in open(sys.argv[1])]
total = lambda key: sum(step.get(key, 0) for step in steps)
failures, concurrency = 3, 2
problems = []
if len(steps) != 3:
    problems.append(f"{len(steps)} steps in metrics.jsonl, expected 3")
# The failures that open the breaker, and at most one more request per other thread already on its way; without
# the breaker every prompt of every group is sent 1 + remote_retries times.
if total("grm_remote/requests") > failures + concurrency - 1:
    problems.append(f"{total('grm_remote/requests')} requests sent to a server that is down")
if total("grm_remote/breaker_trips") != 1:
    problems.append(f"the breaker opened {total('grm_remote/breaker_trips')} times, expected once")
if total("grm_remote/fast_failures") <= 0:
    problems.append("no request failed fast")
for step in steps:
    if step.get("grm_remote/breaker_open", 0) < 1:
        problems.append(f"step {step.get('step')}: no GRM pass ended with the breaker open")
    if step.get("grm/parse_failures", 0) != step.get("grm/critiques", -1):
        problems.append(f"step {step.get('step')}: a critique without the fallback")
for problem in problems:
    print("FAIL:", problem)
if not problems:
    print("ok: the open breaker kept the requests to", total("grm_remote/requests"))
sys.exit(1 if problems else 0)
PY

# 2. A server that accepts connections and never answers, fallback fail: the run fails naming the URL.
python3 - "$work/hung_port" <<'PY' &
import socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
open(sys.argv[1], "w").write(str(server.getsockname()[1]))
held = []
while True:
    connection, _ = server.accept()
    held.append(connection)  # never read, never answered
PY
hung_pid=$!
for _ in $(seq 100); do [[ -s $work/hung_port ]] && break; sleep 0.1; done
hung_url=http://127.0.0.1:$(cat "$work/hung_port")
timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name=hung run.steps=2 grm.remote_url="$hung_url" \
  grm.remote_fallback=fail grm.remote_timeout_s=1 grm.remote_retries=1 > "$work/hung.log" 2>&1
code=$?
check "the run with a hung GRM fails (exit 1)" test $code -eq 1
check "the error names the GRM's URL" grep -q "remote GRM $hung_url/v1/completions: " "$work/hung.log"
check "and the timeout" grep -q "no complete response within 1 s" "$work/hung.log"
[[ $code -eq 1 ]] || tail -20 "$work/hung.log"

# 3. A per-request deadline that, with its attempts, cannot end within the step deadline: refused up front.
"$SPCT_BINARY" train "${common[@]}" run.name=slow grm.remote_url="$hung_url" grm.remote_timeout_s=200 \
  timeouts.step_s=600 > "$work/slow.log" 2>&1
code=$?
check "a GRM deadline beyond the step deadline is a config error (exit 2)" test $code -eq 2
check "the config error names the keys" grep -q "which does not fit timeouts.step_s = 600 s" "$work/slow.log"
check "and where they were set" grep -q "grm.remote_timeout_s (override" "$work/slow.log"
check "nothing ran" test ! -e "$work/slow/metrics.jsonl"
exit $fail
