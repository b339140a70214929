#!/usr/bin/env bash
# A real colocated run (40 short steps) with observe.status_port: /status and /metrics answer over loopback while
# it trains, the log gets plain progress lines (no carriage returns), and TensorBoard events land beside
# metrics.jsonl.
set -uo pipefail
work=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail=0
started=0
for attempt in 1 2 3; do  # a random port may be taken: the job then exits 2 naming observe.status_port
  port=$((20000 + RANDOM % 40000))
  "$SPCT_BINARY" train run.dir="$work" run.name="t$attempt" layout.colocate=true run.steps=40 sft.warmup_steps=5 \
    observe.status_port=$port observe.progress=auto observe.progress_every_steps=20 > "$work/log.txt" 2>&1 &
  pid=$!
  # Until the first step is reported (or the job ends), ask /status.
  for _ in $(seq 1 1200); do
    status=$(curl -s --max-time 2 "http://127.0.0.1:$port/status" || true)
    [[ "$status" == *'"step":'[1-9]* ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$status" == *'"step":'[1-9]* ]]; then started=1; break; fi
  wait "$pid"
  pid=
  grep -q "observe.status_port" "$work/log.txt" || { cat "$work/log.txt"; echo "FAIL: no status before the run ended"; exit 1; }
done
[[ $started -eq 1 ]] || { echo "FAIL: no free port in 3 tries"; exit 1; }
run=t$attempt
echo "/status: $status"
[[ "$status" == *"\"run\":\"$run\""* ]] || { echo "FAIL: /status run name"; fail=1; }
[[ "$status" == *'"total_steps":40'* ]] || { echo "FAIL: /status total_steps"; fail=1; }
[[ "$status" == *'"state":"running"'* ]] || { echo "FAIL: /status state"; fail=1; }
[[ "$status" == *'"reward/mean":'* ]] || { echo "FAIL: /status metrics"; fail=1; }
[[ "$status" == *'"ranks":[{"last_step":'*',"rank":0,"role":"colocated (all roles)"}]'* &&
   "$status" == *'"ranks_total":1'* ]] || { echo "FAIL: /status ranks of a colocated run"; fail=1; }
metrics=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics")
grep -q "^spct_steps_done{run=\"$run\"} [1-9][0-9]*$" <<< "$metrics" || { echo "FAIL: /metrics steps"; echo "$metrics"; fail=1; }
grep -q '^# TYPE spct_reward_mean gauge$' <<< "$metrics" || { echo "FAIL: /metrics reward family"; fail=1; }
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/nope")
[[ "$code" == 404 ]] || { echo "FAIL: unknown path gave $code"; fail=1; }
wait "$pid" || { cat "$work/log.txt"; echo "FAIL: run failed"; fail=1; }
pid=

# stderr is a file here: plain lines after the first step, every 20 steps and the last, and a summary, never a
# carriage return.
! grep -q $'\r' "$work/log.txt" || { echo "FAIL: carriage return in a log file"; fail=1; }
lines=$(grep -c 'step [0-9]*/40 .*| elapsed .* | ETA ' "$work/log.txt")
[[ $lines -ge 3 && $lines -le 4 ]] || { echo "FAIL: progress lines"; cat "$work/log.txt"; fail=1; }
grep -q 'finished: 40/40 steps in ' "$work/log.txt" || { echo "FAIL: summary line"; fail=1; }
events=("$work/$run"/tensorboard/events.out.tfevents.*)
[[ -s "${events[0]}" ]] || { echo "FAIL: no TensorBoard event file"; fail=1; }
grep -qa 'brain.Event:2' "${events[0]}" || { echo "FAIL: no file_version event"; fail=1; }
[[ $(grep -ao 'verifier/accuracy' "${events[0]}" | wc -l) -eq 40 ]] || { echo "FAIL: want 40 accuracy scalars"; fail=1; }

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
