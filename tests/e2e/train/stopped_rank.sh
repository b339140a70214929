#!/usr/bin/env bash
# A rank of a real 5-rank GRPO run stopped with SIGSTOP mid-run (issue 15.2): the job ends at the step deadline
# with exit 4, and the first error line of the log, whichever rank wrote it, names the stopped rank with its role
# and host, never a rank that was only waiting (before, the reward worker or a learner waiting for the
# orchestrator timed out first and blamed it). Argument: the role to stop: rollout, reward or learner (the
# second learner, which the first waits for in the gradient all-reduce).
set -uo pipefail
role=${1:?rollout, reward or learner}
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; pkill -9 -f "run.dir=$work " 2>/dev/null; rm -rf "$work"' EXIT
# The step deadline bounds the test, not a clock of its own: a step of this run takes well under a second on an
# idle machine, so 30 s leaves room for a heavily loaded one.
step_s=30
case $role in
  rollout) label="rollout worker 0" name="rollout worker" ;;
  reward) label="reward worker 0" name="reward worker" ;;
  learner) label="learner 1" name="learner" ;;
  *) echo "FAIL: unknown role $role"; exit 1 ;;
esac

setsid "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=stopped run.steps=100000 \
  sft.warmup_steps=5 rollout.prompts_per_step=8 timeouts.step_s=$step_s timeouts.heartbeat_s=1 > "$work/log.txt" 2>&1 &
pid=$!
metric_lines() { [[ -f "$work/stopped/metrics.jsonl" ]] && wc -l < "$work/stopped/metrics.jsonl" || echo 0; }
while kill -0 "$pid" 2>/dev/null && (($(metric_lines) < 2)); do sleep 0.1; done
kill -0 "$pid" 2>/dev/null || { tail -30 "$work/log.txt"; echo "FAIL: the run ended before its second step"; exit 1; }

# The victim's world rank, from the layout table rank 0 logged, and its process, from the rank in its environment.
rank=$(grep -E "^ +[0-9]+  $label " "$work/log.txt" | awk '{print $1}')
[[ -n "$rank" ]] || { cat "$work/log.txt"; echo "FAIL: no '$label' in the rank layout"; exit 1; }
victim=""
for p in $(pgrep -f "run.dir=$work "); do
  tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank" && victim=$p
done
[[ -n "$victim" ]] || { echo "FAIL: no process for rank $rank"; exit 1; }
kill -STOP "$victim"
echo "stopped rank $rank ($label), pid $victim, after $(metric_lines) steps"

wait "$pid"
code=$?
pid=""
first=$(grep -m1 "aborting the job (exit code 4)" "$work/log.txt")
echo "exit $code; first error: $first"
fail=0
[[ $code -eq 4 ]] || { echo "FAIL: exit $code, want 4"; fail=1; }
grep -Eq "\] rank $rank \($name, host [^)]+\) (did not arrive in phase|was not running for)" <<<"$first" ||
  { echo "FAIL: the first error does not name rank $rank ($name) as the cause"; fail=1; }
grep -q "do not match" "$work/log.txt" && { echo "FAIL: a report blames mismatched operations"; fail=1; }
((fail)) && tail -40 "$work/log.txt"
exit $fail
