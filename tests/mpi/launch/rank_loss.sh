#!/usr/bin/env bash
# rank_loss.sh <injector.so>: `spct train` started as a user starts it (spct runs mpirun as its child) on a real
# 4-rank job (orchestrator, rollout worker, reward worker, learner) on this machine:
#   kill   SIGKILL to the learner (rank 3) mid-run: exit 4 and a last line naming rank 3, its role and host and
#          the signal, within timeouts.step_s + 5 s of the kill (mpirun's own status would be the signal's)
#   exit   the reward worker (rank 2) exits with status 1 on its own at its first reward result of step 2 (the
#          injector, preloaded into the ranks only): exit 4 and a line naming rank 2, its role and host, within
#          timeouts.step_s + 5 s (mpirun's own status would be 1)
#   usr1   SIGUSR1 to spct's own process reaches the ranks through mpirun: they checkpoint and spct exits 75
set -uo pipefail
injector=${1:?the fault injector (step_fault_injector.cpp)}
step_s=10
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
host=$(hostname)
args=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=100000 layout.learners=1 sft.warmup_steps=0
  rollout.prompts_per_step=2 rollout.group_size=2 timeouts.step_s=$step_s timeouts.heartbeat_s=1 checkpoint.every=1000)

# start NAME [VAR=VALUE...]: the job in the background, in its own session (pid in $pid, output in $work/NAME.log).
start() {
  local name=$1
  shift
  setsid env "$@" "$SPCT_BINARY" train "${args[@]}" run.name="$name" </dev/null >"$work/$name.log" 2>&1 &
  pid=$!
}
metric_lines() { [[ -f "$work/$1/metrics.jsonl" ]] && wc -l < "$work/$1/metrics.jsonl" || echo 0; }
# until_steps NAME N: waits until the run logged N steps (false when it ended first).
until_steps() {
  while kill -0 "$pid" 2>/dev/null && (($(metric_lines "$1") < $2)); do sleep 0.05; done
  kill -0 "$pid" 2>/dev/null
}
# rank_pid NAME R: the process of MPI rank R of run NAME.
rank_pid() {
  local p
  for p in $(pgrep -f "run.name=$1( |$)"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return 0; }
  done
  return 1
}
# finish LIMIT: waits at most LIMIT s for the job; its exit code in $code, the time it ended in $ended.
finish() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS <= deadline)); do sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { fail "the job still ran $1 s later"; kill -9 -- -"$pid"; }
  wait "$pid"
  code=$?
  pid=""
  ended=$(date +%s.%N)
}
within() { awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { t = b - a; printf "%.1f", t; exit !(t <= l) }'; }

# kill
start kill
until_steps kill 2 || fail "kill: the run ended before its second step"
target=$(rank_pid kill 3) || fail "kill: no process for rank 3"
kill -9 "$target"
struck=$(date +%s.%N)
finish $((step_s + 60))
took=$(within "$struck" "$ended" $((step_s + 5))) || fail "kill: the job ended ${took} s after the kill, past step_s + 5 s"
named=$(grep -E "^spct: error: rank 3 \(learner, host $host\) died on signal 9" "$work/kill.log")
echo "kill: exit $code ${took} s after the kill: $named"
[[ $code -eq 4 ]] || fail "kill: exit $code, want 4"
[[ -n "$named" ]] || { fail "kill: no line names rank 3 (learner, host $host) and the signal"; tail -20 "$work/kill.log"; }

# exit
start exit OMPI_MCA_mca_base_env_list="LD_PRELOAD=$injector;SPCT_FAULT_FROM_STEP=1;SPCT_FAULT=r2:RewardResult:s2:d0#0:exit"
finish 300
injected=$(sed -n 's/^spct-fault: injected exit at .* at \([0-9.]*\)$/\1/p' "$work/exit.log")
named=$(grep -E "^spct: error: rank 2 \(reward worker, host $host\) exited with status 1 on its own" "$work/exit.log")
if [[ -z "$injected" ]]; then
  fail "exit: the exit was never injected (exit $code)"
  tail -20 "$work/exit.log"
else
  took=$(within "$injected" "$ended" $((step_s + 5))) || fail "exit: the job ended ${took} s after the exit, past step_s + 5 s"
  echo "exit: exit $code ${took} s after the rank exited: $named"
  [[ $code -eq 4 ]] || fail "exit: exit $code, want 4"
  [[ -n "$named" ]] || { fail "exit: no line names rank 2 (reward worker, host $host)"; tail -20 "$work/exit.log"; }
fi

# usr1
start usr1
until_steps usr1 2 || fail "usr1: the run ended before its second step"
kill -USR1 "$pid"
finish 120
echo "usr1: exit $code"
[[ $code -eq 75 ]] || { fail "usr1: exit $code, want 75"; tail -20 "$work/usr1.log"; }
grep -q '"state":"checkpointed"' "$work/usr1/status.json" || fail "usr1: status $(cat "$work/usr1/status.json")"

((fails == 0)) || { echo "FAIL: $fails checks"; exit 1; }
echo "ok: spct train's exit codes for a killed rank, an exiting rank and SIGUSR1"
