#!/usr/bin/env bash
# The time-limit path: a job with a 2-minute limit and --signal-lead=60 gets SIGUSR1 about a minute after each
# start (SLURM checks on a timer, so give or take half a minute); the batch shell passes it to the ranks through
# srun, they checkpoint and exit 75, the job requeues itself and, over as many restarts as it takes, finishes
# the run. Its steps (64 prompts each, about two minutes of them on an idle 2-core machine) outlast the first
# signal; the minute before each signal leaves the ranks ample time to load even on a loaded machine.
source "$(dirname "$0")/lib.sh"
id=$(submit "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=signalled run.steps=800 \
  sft.warmup_steps=5 layout.learners=1 rollout.prompts_per_step=64 --time=2 --signal-lead=60)
require_job_id "$id"
run=$work/signalled
log=$run/slurm-$id.out
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT || fail "job $id did not end as expected"
[[ "$(job_state "$id")" == COMPLETED ]] || fail "job state $(job_state "$id")"
grep -q "received SIGUSR1; passing it to the ranks" "$log" || fail "the batch shell got no SIGUSR1"
grep -q "the ranks wrote a checkpoint and stopped (exit 75); requeueing job $id" "$log" || fail "no exit 75 and requeue"
grep -q "spct job $id (start 2)" "$log" || fail "the job did not start again"
grep -q "resuming from .*checkpoints/step-" "$log" || fail "the restart did not resume from the checkpoint"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
[[ $(wc -l < "$run/metrics.jsonl") -eq 800 ]] || fail "$(wc -l < "$run/metrics.jsonl") metric lines, want 800"
((failures)) && tail -60 "$log"
finish
