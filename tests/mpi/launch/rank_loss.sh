#!/usr/bin/env bash
# rank_loss.sh <injector.so>: `spct train` started as a user starts it (spct runs mpirun as its child) on a real
# 4-rank job (orchestrator, rollout worker, reward worker, learner) on this machine:
#   kill   SIGKILL to the learner (rank 3) mid-run: exit 4 and a last line naming rank 3, its role and host and
#          the signal, within timeouts.step_s + 5 s of the kill (mpirun's own status would be the signal's)
#   exit   the reward worker (rank 2) exits with status 1 on its own at its first reward result of step 2 (the
#          injector, preloaded into the ranks only): exit 4 and a line naming rank 2, its role and host, within
#          timeouts.step_s + 5 s (mpirun's own status would be 1)
#   usr1   SIGUSR1 to spct's own process reaches the ranks through mpirun: they checkpoint and spct exits 75
#   stuck  mpirun stops answering in the middle of its abort: the learner is killed, and once mpirun has said
#          "Per user-direction, the job has been aborted" it is stopped (SIGSTOP), as an mpirun stuck in a kernel
#          wait or waiting for a frozen host's daemon would be (tests/multinode/hosts/faults.sh hang: the real
#          frozen host). spct must end it: SIGTERM timeouts.step_s + 10 s after that line, SIGKILL 5 s later,
#          exit 4 with a last line saying a rank failed without mpirun naming it, within step_s + 10 + 5 + 5 s of
#          the kill; mpirun must be gone, and no rank or Open MPI session directory left. (Open MPI's
#          odls_base_sigkill_timeout, the wait between its SIGTERM and SIGKILL to the ranks, is raised for this
#          job so that its abort outlasts the test's reaction; without spct's deadline such a job never ended.)
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

# stuck
start stuck OMPI_MCA_odls_base_sigkill_timeout=$step_s
until_steps stuck 2 || fail "stuck: the run ended before its second step"
launcher=$(pgrep -P "$pid" -x mpirun) || fail "stuck: no mpirun child of spct"
target=$(rank_pid stuck 3) || fail "stuck: no process for rank 3"
kill -9 "$target"
struck=$(date +%s.%N)
until grep -q "Per user-direction, the job has been aborted" "$work/stuck.log" || ! kill -0 "$pid" 2>/dev/null; do
  sleep 0.01
done
kill -STOP "$launcher"
finish $((step_s + 60))
teardown_s=$((step_s + 10))
took=$(within "$struck" "$ended" $((teardown_s + 5 + 5))) ||
  fail "stuck: the job ended ${took} s after the kill, past the launcher's limit (step_s + 10 s, SIGKILL 5 s later) + 5 s"
named=$(grep -E "^spct: error: a rank failed and Open MPI began ending the job without naming it" "$work/stuck.log")
echo "stuck: exit $code ${took} s after the kill: $named"
[[ $code -eq 4 ]] || fail "stuck: exit $code, want 4"
[[ -n "$named" ]] || fail "stuck: no last line saying a rank failed"
grep -q "^spct: mpirun still runs $teardown_s s after" "$work/stuck.log" || fail "stuck: spct did not say it ended mpirun"
grep -q "^spct: mpirun did not end 5 s after SIGTERM; killed it (SIGKILL)" "$work/stuck.log" ||
  fail "stuck: spct did not say it killed mpirun"
kill -0 "$launcher" 2>/dev/null && { fail "stuck: mpirun (pid $launcher) still runs"; kill -9 "$launcher"; }
# What a clean mpirun removes on exit, spct removes for one it killed: Open MPI's session directory.
session=${OMPI_MCA_orte_tmpdir_base:-${TMPDIR:-/tmp}}/ompi.$(hostname -s).$(id -u)/pid.$launcher
[[ -e "$session" ]] && { fail "stuck: mpirun's session directory $session is left behind"; rm -rf "$session"; }
# The ranks lose mpirun (their PMIx server): none may be left behind, within the step deadline.
deadline=$((SECONDS + step_s))
while pgrep -f "run.name=stuck( |$)" >/dev/null && ((SECONDS <= deadline)); do sleep 0.1; done
left=$(pgrep -af "run.name=stuck( |$)")
[[ -z "$left" ]] || { fail "stuck: ranks left behind: $left"; kill -9 $(cut -d" " -f1 <<<"$left"); }
((fails)) && tail -20 "$work/stuck.log"

((fails == 0)) || { echo "FAIL: $fails checks"; exit 1; }
echo "ok: spct train's exit codes for a killed rank, an exiting rank, SIGUSR1 and an mpirun stuck in its abort"
