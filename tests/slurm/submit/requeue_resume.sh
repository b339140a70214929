#!/usr/bin/env bash
# A 4-rank run requeued mid-way (`scontrol requeue`, as an administrator or a preemption would): SLURM signals
# the ranks, they checkpoint, the job comes back with the same id, resumes from its checkpoint and ends with the
# same metrics as the same run left alone.
source "$(dirname "$0")/lib.sh"
steps=24
run_args=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.steps=$steps sft.warmup_steps=5
  layout.learners=1 rollout.prompts_per_step=4 checkpoint.every=2)
# The reference: the same run, uninterrupted, outside SLURM (in the background while the job runs).
timeout 300 "$SPCT_BINARY" train "${run_args[@]}" run.name=reference > "$work/reference.log" 2>&1 &
reference_pid=$!

id=$(submit "${run_args[@]}" run.name=requeued --time=10 --signal-lead=0)
require_job_id "$id"
run=$work/requeued
# Waits on progress, not on a clock: until 6 steps and a checkpoint, while the job runs (its --time and spct's
# deadlines end it otherwise).
until [[ -s "$run/metrics.jsonl" && $(wc -l < "$run/metrics.jsonl") -ge 6 ]] && compgen -G "$run/checkpoints/step-*" >/dev/null; do
  [[ "$(job_state "$id")" =~ ^(PENDING|RUNNING|CONFIGURING)$ ]] || { fail "job ended early: $(job_state "$id")"; tail -20 "$run"/slurm-*.out; exit 1; }
  sleep 0.5
done
steps_before=$(wc -l < "$run/metrics.jsonl")
scontrol requeue "$id" || fail "scontrol requeue $id failed"
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT || fail "job $id did not end as expected after the requeue"
wait "$reference_pid" || { fail "the reference run failed"; tail -20 "$work/reference.log"; }

log=$run/slurm-$id.out
[[ "$(job_state "$id")" == COMPLETED ]] || fail "job state $(job_state "$id")"
(($(job_field "$id" Restarts) >= 1)) || fail "Restarts=$(job_field "$id" Restarts), want >= 1"
grep -q "spct job $id (start 2)" "$log" || fail "the log shows no second start"
grep -q "resuming from .*checkpoints/step-" "$log" || fail "the second start did not resume from a checkpoint"
grep -q '"state":"finished"' "$run/status.json" || fail "status: $(cat "$run/status.json")"
python3 "$(dirname "$0")/compare_metrics.py" "$work/reference" "$run" || fail "metrics differ from the uninterrupted run"
echo "requeued after $steps_before of $steps steps"
((failures)) && tail -40 "$log"
finish
