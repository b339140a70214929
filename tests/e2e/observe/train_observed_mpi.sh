#!/usr/bin/env bash
# A real 5-rank MPI run (spct train launches mpirun itself) with observe.status_port: /status lists every rank
# of the layout with its role, and once a step has ended, all 5 as answering in it (ranks_alive); /metrics
# exports the counts.
set -uo pipefail
work=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail=0
started=0
for attempt in 1 2 3; do  # a random port may be taken: the job then exits 2 naming observe.status_port
  port=$((20000 + RANDOM % 40000))
  "$SPCT_BINARY" train run.dir="$work" run.name="m$attempt" layout.colocate=false layout.rollout_workers=1 \
    layout.reward_workers=1 layout.learners=2 grpo.minibatches=1 rollout.prompts_per_step=8 run.steps=30 \
    sft.warmup_steps=0 checkpoint.every=0 observe.status_port=$port > "$work/log.txt" 2>&1 &
  pid=$!
  # Until a step has ended and the ranks have agreed on it (or the job ends), ask /status.
  for _ in $(seq 1 1800); do
    status=$(curl -s --max-time 2 "http://127.0.0.1:$port/status" || true)
    [[ "$status" == *'"ranks_alive":'[1-9]* ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$status" == *'"ranks_alive":'[1-9]* ]]; then started=1; break; fi
  wait "$pid"
  pid=
  grep -q "observe.status_port" "$work/log.txt" || { cat "$work/log.txt"; echo "FAIL: no status before the run ended"; exit 1; }
done
[[ $started -eq 1 ]] || { echo "FAIL: no free port in 3 tries"; exit 1; }
echo "/status: $status"
python3 - "$status" <<'PY' || fail=1
import json, sys
status = json.loads(sys.argv[1])
roles = ["orchestrator", "rollout worker", "reward worker", "learner", "learner"]
problems = []
if status["ranks_total"] != 5: problems.append(f"ranks_total {status['ranks_total']}, want 5")
if status["ranks_alive"] != 5: problems.append(f"ranks_alive {status['ranks_alive']}, want 5")
if [r["rank"] for r in status["ranks"]] != list(range(5)): problems.append("ranks are not 0..4")
if [r["role"] for r in status["ranks"]] != roles: problems.append(f"roles {[r['role'] for r in status['ranks']]}")
answered = {r["last_step"] for r in status["ranks"]}
if None in answered or len(answered) != 1: problems.append(f"last steps {answered}: want one step for all")
for p in problems: print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
metrics=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics")
grep -q "^spct_ranks_total{run=\"m$attempt\"} 5$" <<< "$metrics" || { echo "FAIL: /metrics ranks_total"; fail=1; }
grep -q "^spct_ranks_alive{run=\"m$attempt\"} 5$" <<< "$metrics" || { echo "FAIL: /metrics ranks_alive"; fail=1; }
wait "$pid" || { tail -20 "$work/log.txt"; echo "FAIL: run failed"; fail=1; }
pid=
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
