# Shared by the resume tests: a short GRPO run with a checkpoint every 2 steps, started, killed and resumed,
# and the comparison with an uninterrupted run. Sourced; expects $SPCT_BINARY, $SPCT_SOURCE_DIR and $work.
steps=${steps:-8}
base=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=$steps rollout.prompts_per_step=8
      rollout.group_size=4 sft.warmup_steps=20 checkpoint.every=2 checkpoint.keep_last=2)
fail=0
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; rm -rf "$work"' EXIT

say_fail() { echo "FAIL: $*"; fail=1; }

# train NAME [overrides...]: the run in the foreground; returns its exit code.
train() {
  local name=$1; shift
  timeout 300 "$SPCT_BINARY" train "${base[@]}" "${extra[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1
}

# start NAME [overrides...]: the run in the background in its own process group (so a kill reaches every rank).
start() {
  local name=$1; shift
  setsid "$SPCT_BINARY" train "${base[@]}" "${extra[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1 &
  pid=$!
}

# metric_lines NAME: lines in the run's metrics.jsonl.
metric_lines() { [[ -f "$work/$1/metrics.jsonl" ]] && wc -l < "$work/$1/metrics.jsonl" || echo 0; }

# wait_until CONDITION...: polls every 10 ms while the background run lives; 0 when the condition held, 1 when
# the run ended first. No clock of its own: however loaded the machine, the run either gets there or ends (its
# timeouts.* deadlines end a stalled run), and the test's TIMEOUT is the last guard.
wait_until() {
  while kill -0 "$pid" 2>/dev/null; do
    "$@" && return 0
    sleep 0.01
  done
  return 1
}

# kill_run NAME: SIGKILL to the whole background run (its process group, and any rank mpirun placed in a group
# of its own: matched by this test's run directory too, so that resume tests running in parallel never kill each
# other's runs); returns once it is gone.
kill_run() {
  kill -9 -- -"$pid" 2>/dev/null
  pkill -9 -f "run.dir=$work .*run.name=$1( |$)" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=""
}

# same_result A B: bit-identical final weights and identical metrics (timings aside).
same_result() {
  cmp -s "$work/$1/model/model.safetensors" "$work/$2/model/model.safetensors" ||
    say_fail "final weights of $2 differ from $1"
  python3 - "$work/$1/metrics.jsonl" "$work/$2/metrics.jsonl" <<'PY' || fail=1
import json, sys
strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}
a, b = ([strip(json.loads(line)) for line in open(path)] for path in sys.argv[1:])
if a != b:
    diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    print(f"FAIL: metrics differ from step {diff} ({len(a)} vs {len(b)} lines)")
    sys.exit(1)
PY
}

report() {
  [[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; tail -n 20 "$work"/*.log; }
  exit $fail
}
