# Shared by the multinode tests. Sourced; expects $SPCT_BINARY, $SPCT_SOURCE_DIR, $NETNS_HOSTS (the hosts'
# directory, started by the suite's fixture or by the test), $MULTINODE_REFERENCE (the reference run's directory,
# made by the suite's fixture: reference.sh) and $work.
hosts_script=$SPCT_SOURCE_DIR/scripts/netns-hosts.sh
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
addr() { bash "$hosts_script" addr "$NETNS_HOSTS" "$1"; }

# need_hosts: skip (77) when the suite's fixture could not start the hosts (it printed why: no root, or the
# kernel or container forbids namespaces); CTest runs the cases even when their fixture's setup was skipped.
need_hosts() {
  [[ -s "$NETNS_HOSTS/hosts" ]] || {
    echo "SKIP: no namespace hosts in $NETNS_HOSTS: the test 'multinode: start 3 namespace hosts' says why" \
      "(they need root, iproute2 and a kernel that allows network namespaces)"
    exit 77
  }
}

# The GRPO job of configs/grpo_add.yaml, short, with a checkpoint every 2 steps. 40 steps of about 0.05 s: a fault
# struck after step 3 always lands mid-run.
base=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" rollout.prompts_per_step=8 rollout.group_size=4
      sft.warmup_steps=20 checkpoint.every=2 checkpoint.keep_last=2)
step_s=10
settings=(run.steps=40 timeouts.step_s=$step_s timeouts.heartbeat_s=1)

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

# launch_on_hosts NAME [overrides...]: the same job started as a user starts it: `spct train` on host 1 runs its
# own mpirun (as its child, orchestrator/run/launcher_child.h), which the hosts' Open MPI settings (netns-hosts.sh
# launch) and a hostfile of 2, 2 and 1 slots spread over the hosts as train_on_hosts does. $mca_env: more
# OMPI_MCA_* settings. In the background when $background is set (pid in $pid), else in the foreground.
mca_env=()
launch_on_hosts() {
  local name=$1
  shift
  printf '%s slots=2\n%s slots=2\n%s slots=1\n' "$(addr 1)" "$(addr 2)" "$(addr 3)" > "$work/hostfile"
  local command=(env OMPI_MCA_orte_default_hostfile="$work/hostfile" OMP_NUM_THREADS=1 "${mca_env[@]}"
    bash "$hosts_script" launch "$NETNS_HOSTS" "$SPCT_BINARY" train "${base[@]}" run.name="$name" "$@")
  if [[ -n "${background:-}" ]]; then
    setsid "${command[@]}" >> "$work/$name.log" 2>&1 &
    pid=$!
  else
    timeout 300 "${command[@]}" >> "$work/$name.log" 2>&1
  fi
}

# train_here NAME [overrides...]: the same job on this machine (one host, shared memory between ranks); with
# ${settings[@]}, the reference run (reference.sh) every multinode case compares with.
train_here() {
  local name=$1
  shift
  timeout 300 "$SPCT_BINARY" train "${base[@]}" run.name="$name" "$@" >> "$work/$name.log" 2>&1
}

# same_as_reference NAME: bit-identical final weights and identical metrics (timings aside) to the reference
# run (the same settings on one host, uninterrupted).
same_as_reference() {
  local reference=$MULTINODE_REFERENCE/reference
  [[ -s "$reference/metrics.jsonl" ]] || { say_fail "no reference run in $MULTINODE_REFERENCE (reference.sh)"; return; }
  cmp -s "$reference/model/model.safetensors" "$work/$1/model/model.safetensors" ||
    say_fail "final weights of $1 differ from the reference run's"
  python3 - "$reference/metrics.jsonl" "$work/$1/metrics.jsonl" <<'PY' || fail=1
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
