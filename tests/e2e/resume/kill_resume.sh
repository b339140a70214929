#!/usr/bin/env bash
# Exact resume after SIGKILL (issue #7): a run killed at several points (after a few steps, while a checkpoint
# is being staged, late in the run) and restarted with the same command each time ends with bit-identical
# weights and identical metrics to an uninterrupted run. A damaged newest checkpoint is skipped with a warning
# and the one before it used, again with the same final result. Arguments: colocated (default) or mpi, then
# sync (default) or async (rollout.mode: the checkpoints then carry the groups collected for the next step).
set -uo pipefail
work=$(mktemp -d)
# Enough steps after the last kill point (6) that a fast run cannot finish between the poll and the kill.
steps=12
source "$(dirname "$0")/common.sh"
extra=(rollout.mode="${2:-sync}")
[[ "${1:-colocated}" == colocated ]] && extra+=(layout.colocate=true)

train a || say_fail "uninterrupted run failed"

# b: killed three times, then left to finish.
has_lines() { [[ $(metric_lines b) -ge $1 ]]; }
staging_checkpoint() { compgen -G "$work/b/checkpoints/.partial-*" > /dev/null; }
start b; wait_until has_lines 2 && kill_run b || say_fail "run b did not reach step 2"
start b; wait_until staging_checkpoint && kill_run b || say_fail "run b never staged a checkpoint"
start b; wait_until has_lines 6 && kill_run b || say_fail "run b did not reach step 6"
train b || say_fail "the resumed run b failed"
grep -q "resuming from" "$work/b.log" || say_fail "run b never resumed from a checkpoint"
same_result a b

# c: stops at 6 steps, its newest checkpoint is damaged, then it is extended to the full run.
train c run.steps=6 || say_fail "run c (6 steps) failed"
truncate -s 100 "$work/c/checkpoints/step-00000006/model/model.safetensors"
train c || say_fail "run c did not resume past its damaged checkpoint"
grep -q "step-00000006 is damaged" "$work/c.log" || say_fail "no warning about the damaged checkpoint"
grep -q "resuming from .*step-00000004" "$work/c.log" || say_fail "run c did not fall back to step 4"
same_result a c
report
