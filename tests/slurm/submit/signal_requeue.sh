#!/usr/bin/env bash
# The time-limit path: a job with a 2-minute limit and --signal-lead=60 gets SIGUSR1 about a minute after it
# starts (SLURM checks on a timer, so give or take half a minute); the batch shell passes it to the ranks through
# srun, they checkpoint and exit 75, the job requeues itself and the next start resumes from that checkpoint.
# The run is far longer than any start can finish (run.steps=100000), so the signal comes first however fast or
# loaded the machine is, and the test asserts on what happened, not on how long it took: the signal, exit 75,
# the requeue (Restarts), the checkpointed step the second start resumed from and a step written after it. Then
# it cancels the job. (Finishing a run after a requeue is requeue_resume.sh's case.)
source "$(dirname "$0")/lib.sh"
id=$(submit "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=signalled run.steps=100000 \
  sft.warmup_steps=5 layout.learners=1 rollout.prompts_per_step=8 --time=2 --signal-lead=60)
require_job_id "$id"
run=$work/signalled
log=$run/slurm-$id.out

# Until the second start has resumed and written a step past its checkpoint, while the job is alive.
resumed=""
while job_active "$id"; do
  resumed=$(grep -o "resuming from .*checkpoints/step-[0-9]*" "$log" 2>/dev/null | tail -1 | grep -o "[0-9]*$")
  [[ -n "$resumed" && -s "$run/metrics.jsonl" && $(wc -l < "$run/metrics.jsonl") -gt $((10#$resumed)) ]] && break
  sleep 1
done
job_active "$id" || fail "the job ended ($(job_state "$id")) before a resumed start wrote a step"
restarts=$(job_field "$id" Restarts)
cancel_job "$id"
wait_for_states "$id" CANCELLED COMPLETED FAILED || fail "job $id did not end as expected when cancelled"

grep -q "received SIGUSR1; passing it to the ranks" "$log" || fail "the batch shell got no SIGUSR1"
grep -q "the ranks wrote a checkpoint and stopped (exit 75); requeueing job $id" "$log" || fail "no exit 75 and requeue"
grep -q "spct job $id (start 2)" "$log" || fail "the job did not start again"
((restarts >= 1)) || fail "Restarts=$restarts, want >= 1"
[[ -n "$resumed" ]] && ((10#$resumed > 0)) || fail "the second start did not resume from a checkpoint past step 0"
# The metrics go on from the checkpoint: steps 0, 1, 2, ... with none repeated or missing.
python3 - "$run/metrics.jsonl" <<'PY' || fail "metrics.jsonl does not continue step by step from the checkpoint"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
lines = lines[:-1]  # the text after the last newline: empty, or a line the cancel cut short
steps = [json.loads(line)["step"] for line in lines]
sys.exit(0 if steps == list(range(len(steps))) else f"steps {steps[:5]}...{steps[-5:]}")
PY
echo "signalled, checkpointed at step $((10#$resumed)), resumed; $(wc -l < "$run/metrics.jsonl") steps when cancelled"
((failures)) && tail -60 "$log"
finish
