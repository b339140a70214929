#!/usr/bin/env bash
# Stop signals on a 5-rank MPI job (issue #7): SIGUSR1 to one rank (the reward worker) or SIGTERM to another
# (a learner) makes every rank agree on a stop step, write a checkpoint, and exit 75 with status.json saying
# "checkpointed"; the same command then resumes and the result equals an uninterrupted run. In a colocated run
# a second SIGINT exits at once with 130.
set -uo pipefail
work=$(mktemp -d)
# Steps enough that a loaded machine cannot finish the run between a signal's target lookup and its delivery.
steps=20
source "$(dirname "$0")/common.sh"
extra=()

train a || say_fail "uninterrupted run failed"

# The pid of the rank with MPI rank $1 among the background run's processes.
rank_pid() {
  local p
  for p in $(pgrep -f "run.dir=$work .*run.name=b( |$)"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "$p"; return 0; }
  done
  return 1
}
has_lines() { [[ $(metric_lines b) -ge $1 ]]; }

for signal_and_rank in USR1:2 TERM:3; do
  start b
  wait_until has_lines $(( $(metric_lines b) + 2 )) || say_fail "run b made no progress before SIG${signal_and_rank%:*}"
  target=$(rank_pid "${signal_and_rank#*:}") || say_fail "no process for rank ${signal_and_rank#*:}"
  kill -s "${signal_and_rank%:*}" "$target"
  wait "$pid"; code=$?; pid=""
  [[ $code -eq 75 ]] || say_fail "SIG${signal_and_rank%:*} to rank ${signal_and_rank#*:}: exit $code, want 75"
  grep -q '"state":"checkpointed"' "$work/b/status.json" || say_fail "status after SIG${signal_and_rank%:*}: $(cat "$work/b/status.json")"
  step=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" "$work/b/status.json")
  [[ -f "$work/b/checkpoints/$(printf 'step-%08d' "$step")/MANIFEST.json" ]] || say_fail "no checkpoint at the stop step $step"
done
train b || say_fail "the resumed run b failed"
same_result a b

# Colocated: Ctrl-C twice aborts without a checkpoint (steps long enough that the second comes mid-step).
extra=(layout.colocate=true run.steps=400 checkpoint.every=0 rollout.prompts_per_step=512)
start i
has_lines_i() { [[ $(metric_lines i) -ge 1 ]]; }
wait_until has_lines_i || say_fail "colocated run i made no progress"
kill -INT "$pid"
# The second only once the first was handled: two SIGINTs pending at once would merge into one.
first_handled() { grep -q "stop requested" "$work/i.log"; }
wait_until first_handled || say_fail "the first SIGINT was not acknowledged"
kill -INT "$pid"
wait "$pid"; code=$?; pid=""
[[ $code -eq 130 ]] || say_fail "second SIGINT: exit $code, want 130"
grep -q "second interrupt" "$work/i.log" || say_fail "no message for the second interrupt"
report
