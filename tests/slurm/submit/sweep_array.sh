#!/usr/bin/env bash
# `--sweep` submits one job array: each task trains one combination in its own run directory, and the array's
# logs are in the sweep directory.
source "$(dirname "$0")/lib.sh"
id=$(submit run.dir="$work" run.name=sw layout.colocate=true run.steps=2 sft.warmup_steps=2 \
  rollout.prompts_per_step=2 rollout.group_size=2 --sweep grpo.lr=1e-3,1e-4 --time=10 --signal-lead=0)
require_job_id "$id"
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT || fail "array $id did not end as expected"
for point in lr1e-3 lr1e-4; do
  grep -q '"state":"finished"' "$work/sw/$point/status.json" 2>/dev/null || fail "$point did not finish"
done
# grpo.lr is the only `lr` set by an override (config.yaml notes every value's origin).
grep -Eq '^  lr: 0\.001 +# override' "$work/sw/lr1e-3/config.yaml" || fail "task 0 did not get grpo.lr=1e-3"
grep -Eq '^  lr: 1e-04 +# override' "$work/sw/lr1e-4/config.yaml" || fail "task 1 did not get grpo.lr=1e-4"
[[ -s "$work/sw/slurm-${id}_0.out" && -s "$work/sw/slurm-${id}_1.out" ]] || { fail "array logs missing"; ls "$work/sw"; }
finish
