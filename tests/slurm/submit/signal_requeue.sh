#!/usr/bin/env bash
# The time-limit path: a job with a 1-minute limit and --signal-lead=50 gets SIGUSR1 before its limit; the batch
# shell passes it to the ranks through srun, they checkpoint and exit 75, the job requeues itself and, over as
# many restarts as it takes, finishes the run. Its steps (64 prompts each, about a minute of them on an idle
# 2-core machine) must outlast the signal, which SLURM may send up to a timer period late.
source "$(dirname "$0")/lib.sh"
id=$(submit "$SPCT_SOURCE_DIR/configs/quickstart.yaml" run.dir="$work" run.name=signalled run.steps=400 \
  sft.warmup_steps=5 layout.learners=1 rollout.prompts_per_step=64 --time=1 --signal-lead=50)
require_job_id "$id"
run=$work/signalled
log=$run/slurm-$id.out
wait_for_states "$id" 330 COMPLETED FAILED CANCELLED TIMEOUT || fail "job $id did not end"
[[ "$(job_state "$id")" == COMPLETED ]] || fail "job state $(job_state "$id")"
grep -q "received SIGUSR1; passing it to the ranks" "$log" || fail "the batch shell got no SIGUSR1"
grep -q "the ranks wrote a checkpoint and stopped (exit 75); requeueing job $id" "$log" || fail "no exit 75 and requeue"
grep -q "spct job $id (start 2)" "$log" || fail "the job did not start again"
grep -q "resuming from .*checkpoints/step-" "$log" || fail "the restart did not resume from the checkpoint"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
[[ $(wc -l < "$run/metrics.jsonl") -eq 400 ]] || fail "$(wc -l < "$run/metrics.jsonl") metric lines, want 400"
((failures)) && tail -60 "$log"
finish
