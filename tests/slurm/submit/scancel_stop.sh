#!/usr/bin/env bash
# A plain `scancel` ends a job for good: the batch shell passes SIGTERM to the ranks, they write a checkpoint and
# exit 75, and the job stays CANCELLED (the job script requeues only after its time-limit signal). Submitting
# the same run again resumes from that checkpoint and finishes it.
# Load-independent by construction (as signal_requeue.sh): the first job has far more steps than it can reach
# before the scancel, and only once it has stopped does the test shorten the run, in the config file both jobs
# read, to a few steps past the checkpoint. (With 12 steps a fast machine finished the run in 0.3 s, before the
# scancel arrived.)
source "$(dirname "$0")/lib.sh"
config=$work/cancelled.yaml
sed 's/^  steps: .*/  steps: 1000000/' "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" > "$config"
grep -q '^  steps: 1000000$' "$config" || fail "could not set run.steps in $config"
run_args=("$config" run.dir="$work" run.name=cancelled sft.warmup_steps=5 layout.learners=1
  rollout.prompts_per_step=4 checkpoint.every=1000)
id=$(submit "${run_args[@]}" --time=10)
require_job_id "$id"
run=$work/cancelled
log=$run/slurm-$id.out
# Waits on progress: two steps logged, so the ranks are past loading and can catch the signal.
until [[ -s "$run/metrics.jsonl" && $(wc -l < "$run/metrics.jsonl") -ge 2 ]]; do
  job_active "$id" || { fail "job $id ended early: $(job_state "$id")"; tail -20 "$log"; exit 1; }
  sleep 0.2
done
scancel "$id" || fail "scancel $id failed"
wait_for_states "$id" CANCELLED || fail "job $id did not end CANCELLED"
(($(job_field "$id" Restarts) == 0)) || fail "Restarts=$(job_field "$id" Restarts), want 0 after scancel"
grep -q "received SIGTERM; passing it to the ranks" "$log" || fail "the batch shell got no SIGTERM"
grep -q "stopped on SIGTERM (exit 75); not requeueing" "$log" || fail "the ranks did not checkpoint and exit 75"
grep -q "requeueing job $id" "$log" && fail "the job requeued itself after scancel"
compgen -G "$run/checkpoints/step-*" >/dev/null || fail "no checkpoint after the SIGTERM"
grep -q '"state":"finished"' "$run/status.json" && fail "the cancelled run claims to have finished"
stopped_at=$(compgen -G "$run/checkpoints/step-*" | sed 's/.*step-0*//' | sort -n | tail -1)
[[ "$stopped_at" =~ ^[0-9]+$ ]] || { fail "no checkpoint to resume from"; tail -40 "$log"; finish; }
steps=$((stopped_at + 3))
sed -i "s/^  steps: .*/  steps: $steps/" "$config"

# The same run submitted again resumes from the checkpoint and finishes.
id2=$(submit "${run_args[@]}" --time=10)
require_job_id "$id2"
wait_for_states "$id2" COMPLETED || fail "the resubmitted job $id2 did not complete"
grep -q "resuming from .*checkpoints/step-" "$run/slurm-$id2.out" || fail "the resubmitted job did not resume"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
[[ $(wc -l < "$run/metrics.jsonl") -eq $steps ]] || fail "$(wc -l < "$run/metrics.jsonl") metric lines, want $steps"
((failures)) && tail -40 "$log"
finish
