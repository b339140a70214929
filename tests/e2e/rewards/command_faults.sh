#!/usr/bin/env bash
# The failure policy of external rewards (docs/rewards.md), with a plugin that misbehaves on purpose
# (faulty_reward.py) in a real colocated `spct train`. Argument: the case.
#   exit     the plugin exits every 10 requests: it is restarted, the failed group retried, nothing is dropped;
#   hang     it never answers some groups of step 1: the deadline kills it, the group is retried, then dropped
#            and counted in reward/dropped_groups (not trained on), and the run goes on;
#   garbage  it answers step 2 with a line that is not JSON: every group of the step is dropped, the share passes
#            max_dropped_share and the run fails with a message naming the reward and the line; the metrics of
#            the steps before stay.
set -uo pipefail
case_name=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plugin="python3 $SPCT_SOURCE_DIR/tests/e2e/rewards/faulty_reward.py"
run() {  # $1: plugin arguments and options
  timeout 300 "$SPCT_BINARY" train run.dir="$work" run.name=r layout.colocate=true run.steps=4 sft.warmup_steps=5 \
    "reward.functions=[exact_match, \"math=command:$plugin $1\"]" > "$work/log" 2>&1
}
metric() {  # the values of metric $1, one per step, space-separated
  python3 -c "import json,sys; print(' '.join(str(json.loads(l)['$1']) for l in open(sys.argv[1])))" \
    "$work/r/metrics.jsonl"
}
fail=0
check() { eval "$1" || { echo "FAIL: $2"; fail=1; }; }
case $case_name in
  exit)
    run "--exit-after 10;retries=2"
    code=$?
    check "[[ $code -eq 0 ]]" "run failed (exit $code)"
    check "grep -q 'exited with status 3 before answering' '$work/log'" "the plugin's exit is not reported"
    check "grep -q 'restarting' '$work/log'" "the plugin was not restarted"
    pids=$(grep -o 'faulty_reward pid [0-9]*' "$work/log" | sort -u | wc -l)
    check "[[ $pids -ge 5 ]]" "expected at least 5 plugin processes (128 groups, 10 each), saw $pids"
    check "[[ '$(metric reward/dropped_groups)' == '0.0 0.0 0.0 0.0' ]]" "groups dropped: $(metric reward/dropped_groups)"
    ;;
  hang)
    run "--hang-step 1;timeout_s=0.5;retries=1;max_dropped_share=0.5"
    code=$?
    check "[[ $code -eq 0 ]]" "run failed (exit $code)"
    check "grep -q 'no answer within timeout_s=0.5 s' '$work/log'" "no deadline reported"
    check "grep -q 'retrying the group' '$work/log'" "no retry reported"
    check "grep -q 'group dropped after 2 attempts' '$work/log'" "no dropped group reported"
    read -r -a dropped <<< "$(metric reward/dropped_groups)"
    read -r -a trained <<< "$(metric batch/groups_trained)"
    check "[[ ${dropped[0]} == 0.0 && ${dropped[2]} == 0.0 && ${dropped[3]} == 0.0 ]]" "drops outside step 1"
    check "python3 -c 'import sys; sys.exit(not ${dropped[1]} >= 1)'" "step 1 counts no dropped group"
    check "python3 -c 'import sys; sys.exit(not ${trained[1]} <= 32 - ${dropped[1]})'" \
      "step 1 trained ${trained[1]} groups with ${dropped[1]} dropped"
    ;;
  garbage)
    run "--garbage-step 2;retries=1;max_dropped_share=0.1"
    code=$?
    check "[[ $code -ne 0 && $code -ne 124 ]]" "run did not fail (exit $code)"
    check "grep -q 'reward math (command .*): response line is not JSON: this is not json' '$work/log'" \
      "the garbage line is not named"
    check "grep -q 'more than max_dropped_share=0.1' '$work/log'" "the dropped share is not named"
    check "[[ \$(wc -l < '$work/r/metrics.jsonl') -eq 2 ]]" "steps 0 and 1 should keep their metrics"
    ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || { grep -v 'faulty_reward pid' "$work/log" | tail -20; echo "0 passed, 1 failed"; }
exit $fail
