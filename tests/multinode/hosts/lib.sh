# Shared by the multinode tests. Sourced; expects $SPCT_BINARY, $SPCT_SOURCE_DIR, $NETNS_HOSTS (the hosts'
# directory, started by the suite's fixture or by the test) and $work.
hosts_script=$SPCT_SOURCE_DIR/scripts/netns-hosts.sh
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
addr() { bash "$hosts_script" addr "$NETNS_HOSTS" "$1"; }

# The GRPO job of configs/grpo_add.yaml, short, with a checkpoint every 2 steps.
base=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" rollout.prompts_per_step=8 rollout.group_size=4
      sft.warmup_steps=20 checkpoint.every=2 checkpoint.keep_last=2)

mpirun_flags=()  # more mpirun options for train_on_hosts

# train_on_hosts NAME [overrides...]: the 5-rank job over the 3 hosts: orchestrator (rank 0) and rollout worker
# (rank 1) on host 1, reward worker (rank 2) and learner 0 (rank 3) on host 2, learner 1 (rank 4) on host 3.
# In the background when $background is set (pid in $pid), else in the foreground, returning its exit code.
train_on_hosts() {
  local name=$1
  shift
  local command=(bash "$hosts_script" mpirun "$NETNS_HOSTS" "${mpirun_flags[@]}" -n 5 --host "$(addr 1):2,$(addr 2):2,$(addr 3):1"
    -x OMP_NUM_THREADS=1 "$SPCT_BINARY" train "${base[@]}" run.name="$name" "$@")
  if [[ -n "${background:-}" ]]; then
    setsid "${command[@]}" >> "$work/$name.log" 2>&1 &
    pid=$!
  else
    timeout 300 "${command[@]}" >> "$work/$name.log" 2>&1
  fi
}

# train_here NAME [overrides...]: the same job on this machine (one host, shared memory between ranks).
train_here() {
  local name=$1
  shift
  timeout 300 "$SPCT_BINARY" train "${base[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1
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

metric_lines() { [[ -f "$work/$1/metrics.jsonl" ]] && wc -l < "$work/$1/metrics.jsonl" || echo 0; }

# veth_bytes I: bytes host I's cable carried, both ways.
veth_bytes() {
  local stats=/sys/class/net/spv$(printf '%s' "$NETNS_HOSTS" | sha256sum | cut -c1-6)$1/statistics
  echo $(($(cat "$stats/rx_bytes") + $(cat "$stats/tx_bytes")))
}

report() {
  [[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; tail -n 20 "$work"/*.log; }
  exit $fail
}
