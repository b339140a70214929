#!/usr/bin/env bash
# A 4-rank run requeued mid-way (`scontrol requeue`, as an administrator or a preemption would): SLURM signals
# the ranks, they checkpoint, the job comes back with the same id, resumes from its checkpoint and ends with the
# same metrics as the same run left alone.
# Load-independent by construction (as signal_requeue.sh): the job has far more steps than it can reach before
# the requeue, which holds it (`requeuehold`); only then does the test shorten the run, in the config file the
# job reads, to a few steps past its checkpoint, and run the reference to the same length.
source "$(dirname "$0")/lib.sh"
config=$work/requeued.yaml
sed 's/^  steps: .*/  steps: 1000000/' "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" > "$config"
grep -q '^  steps: 1000000$' "$config" || fail "could not set run.steps in $config"
run_args=("$config" run.dir="$work" sft.warmup_steps=5 layout.learners=1 rollout.prompts_per_step=4
  checkpoint.every=2)

id=$(submit "${run_args[@]}" run.name=requeued --time=10 --signal-lead=0)
require_job_id "$id"
run=$work/requeued
# Waits on progress, not on a clock: until 6 steps and a checkpoint, while the job runs (its --time and spct's
# deadlines end it otherwise).
until [[ -s "$run/metrics.jsonl" && $(wc -l < "$run/metrics.jsonl") -ge 6 ]] && compgen -G "$run/checkpoints/step-*" >/dev/null; do
  [[ "$(job_state "$id")" =~ ^(PENDING|RUNNING|CONFIGURING)$ ]] || { fail "job ended early: $(job_state "$id")"; tail -20 "$run"/slurm-*.out; exit 1; }
  sleep 0.5
done
scontrol requeuehold "$id" || fail "scontrol requeuehold $id failed"
until [[ "$(job_state "$id")" == PENDING ]]; do
  job_active "$id" || { fail "job $id ended instead of waiting held: $(job_state "$id")"; exit 1; }
  sleep 0.5
done
stopped_at=$(compgen -G "$run/checkpoints/step-*" | sed 's/.*step-0*//' | sort -n | tail -1)
[[ "$stopped_at" =~ ^[0-9]+$ ]] || { fail "no checkpoint after the requeue"; exit 1; }
steps=$((stopped_at + 4))
sed -i "s/^  steps: .*/  steps: $steps/" "$config"
# The reference: the same run, uninterrupted, outside SLURM (in the background while the job resumes).
timeout 300 "$SPCT_BINARY" train "${run_args[@]}" run.name=reference > "$work/reference.log" 2>&1 &
reference_pid=$!
scontrol release "$id" || fail "scontrol release $id failed"
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT || fail "job $id did not end as expected after the requeue"
wait "$reference_pid" || { fail "the reference run failed"; tail -20 "$work/reference.log"; }

log=$run/slurm-$id.out
[[ "$(job_state "$id")" == COMPLETED ]] || fail "job state $(job_state "$id")"
(($(job_field "$id" Restarts) >= 1)) || fail "Restarts=$(job_field "$id" Restarts), want >= 1"
grep -q "spct job $id (start 2)" "$log" || fail "the log shows no second start"
grep -q "resuming from .*checkpoints/step-" "$log" || fail "the second start did not resume from a checkpoint"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
python3 "$(dirname "$0")/compare_metrics.py" "$work/reference" "$run" || fail "metrics differ from the uninterrupted run"
echo "requeued at the checkpoint of step $stopped_at; $steps steps in all"
((failures)) && tail -40 "$log"
finish
