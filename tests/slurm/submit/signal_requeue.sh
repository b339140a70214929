#!/usr/bin/env bash
# The time-limit path: a job with a 2-minute limit and --signal-lead=60 gets SIGUSR1 about a minute after it
# starts (SLURM checks on a timer, so give or take half a minute); the batch shell passes it to the ranks through
# srun, they checkpoint and exit 75, the job requeues itself and the next start resumes and finishes the run.
# Load-independent by construction: the run has far more steps than any start can reach before its signal, and
# only once the first start has stopped (the job held while requeued) does the test shorten the run, in the
# config file the job reads, to a few steps past the checkpoint; so exactly one restart finishes it, however fast
# the machine steps.
source "$(dirname "$0")/lib.sh"
config=$work/signalled.yaml
sed 's/^  steps: .*/  steps: 1000000/' "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" > "$config"
grep -q '^  steps: 1000000$' "$config" || fail "could not set run.steps in $config"
id=$(submit "$config" run.dir="$work" run.name=signalled sft.warmup_steps=5 layout.learners=1 \
  rollout.prompts_per_step=8 checkpoint.every=1000 --time=2 --signal-lead=60)
require_job_id "$id"
run=$work/signalled
log=$run/slurm-$id.out

# Waits on what the job does, not on a clock: the job's --time (2 min) and spct's deadlines end it otherwise.
until grep -qs "requeueing job $id" "$log"; do
  job_active "$id" || { fail "job $id ended before its first requeue: $(job_state "$id")"; tail -40 "$log"; exit 1; }
  sleep 0.2
done
# The requeued job waits at least the cluster's credential lifetime (10 s) before it may start again: hold it
# there, so that the shortened run below is what the second start reads.
scontrol hold "$id" || fail "scontrol hold $id failed"
# The shell prints its requeue line before it calls scontrol requeue, so the hold may land while the first start
# is still ending (RUNNING, COMPLETING); the held job then goes back to PENDING, and stays there until released.
while [[ "$(job_state "$id")" =~ ^(RUNNING|COMPLETING|REQUEUED|CONFIGURING)$ ]]; do sleep 0.2; done
[[ "$(job_state "$id")" == PENDING ]] || fail "job $id is $(job_state "$id") after the hold, want PENDING"
grep -q "spct job $id (start 2)" "$log" && fail "job $id started again before the test could hold it"
stopped_at=$(compgen -G "$run/checkpoints/step-*" | sed 's/.*step-0*//' | sort -n | tail -1)
[[ "$stopped_at" =~ ^[0-9]+$ ]] || { fail "no checkpoint after the signal (checkpoints: $(ls "$run/checkpoints" 2>&1))"; exit 1; }
final=$((stopped_at + 3))
sed -i "s/^  steps: .*/  steps: $final/" "$config"
scontrol release "$id" || fail "scontrol release $id failed"

wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT || fail "job $id did not end as expected"
[[ "$(job_state "$id")" == COMPLETED ]] || fail "job state $(job_state "$id")"
(($(job_field "$id" Restarts) == 1)) || fail "Restarts=$(job_field "$id" Restarts), want 1"
grep -q "received SIGUSR1; passing it to the ranks" "$log" || fail "the batch shell got no SIGUSR1"
grep -q "the ranks wrote a checkpoint and stopped (exit 75); requeueing job $id" "$log" || fail "no exit 75 and requeue"
grep -q "spct job $id (start 2)" "$log" || fail "the job did not start again"
grep -q "resuming from .*checkpoints/step-0*$stopped_at\b" "$log" || fail "the restart did not resume from step $stopped_at"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
# Every step once (steps count from 0): those before the signal and the 3 after the resume, none lost or repeated.
steps_logged=$(python3 -c 'import json,sys; s=[json.loads(l)["step"] for l in open(sys.argv[1])]; print(len(s), len(set(s)), max(s))' "$run/metrics.jsonl")
[[ "$steps_logged" == "$final $final $((final - 1))" ]] ||
  fail "metrics.jsonl (lines, distinct steps, last step) = $steps_logged, want $final $final $((final - 1))"
echo "signalled at step $stopped_at, finished at step $final after one restart"
((failures)) && tail -60 "$log"
finish
