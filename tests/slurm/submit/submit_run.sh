#!/usr/bin/env bash
# `spct submit` of a 4-rank MPI run (orchestrator, rollout, reward, learner): srun --mpi=pmix starts the ranks,
# the job completes, the run directory says finished, and the log is the run directory's slurm-<job id>.out.
source "$(dirname "$0")/lib.sh"
id=$(submit "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=a run.steps=3 sft.warmup_steps=5 \
  layout.learners=1 rollout.prompts_per_step=4 --time=10 --signal-lead=0)
require_job_id "$id"
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL OUT_OF_MEMORY || fail "job $id did not end as expected"
run=$work/a
log=$run/slurm-$id.out
[[ "$(job_state "$id")" == COMPLETED ]] || { fail "job state $(job_state "$id")"; cat "$log"; }
[[ "$(job_field "$id" NumTasks)" == 4 ]] || fail "NumTasks $(job_field "$id" NumTasks), want 4"
[[ -s "$run/job.sbatch" ]] || fail "no job script in the run directory"
grep -q '"state":"finished"' "$run/status.json" 2>/dev/null || fail "status not finished: $(cat "$run/status.json" 2>&1)"
[[ $(wc -l < "$run/metrics.jsonl") -eq 3 ]] || fail "expected 3 metric lines"
grep -q "spct job $id (start 1)" "$log" || fail "log $log lacks the job's header"
grep -q "spct job: the run finished" "$log" || { fail "log $log does not say finished"; tail -20 "$log"; }
finish
