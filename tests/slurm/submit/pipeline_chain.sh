#!/usr/bin/env bash
# A pipeline submitted as a chain: `second` waits for `first` (afterok) and runs after it succeeds; `broken` fails
# at run time (its data file does not exist), so SLURM cancels `after_broken` instead of leaving it pending.
# Submitting again submits only the stages that did not finish.
source "$(dirname "$0")/lib.sh"
cat > "$work/tiny.yaml" <<YAML
run: {steps: 2}
layout: {colocate: true}
sft: {warmup_steps: 2}
rollout: {prompts_per_step: 2, group_size: 2}
YAML
cat > "$work/p.yaml" <<YAML
pipeline: {name: chain, dir: $work/runs}
stages:
  - {name: first, config: tiny.yaml}
  - {name: second, config: tiny.yaml, overrides: ['grm.model_path=\${first}/model']}
  - {name: broken, config: tiny.yaml, after: [], overrides: ['data.task=', 'data.path=$work/missing.jsonl']}
  - {name: after_broken, config: tiny.yaml}
YAML
out=$(submit "$work/p.yaml" --time=10 --signal-lead=0)
declare -A job
while read -r stage id; do job[$stage]=$id; done <<<"$out"
[[ ${#job[@]} -eq 4 ]] || { echo "FAIL: expected 4 jobs, got: $out"; exit 1; }
for stage in first second broken after_broken; do
  wait_for_states "${job[$stage]}" COMPLETED FAILED CANCELLED TIMEOUT || fail "stage $stage did not end as expected"
done
[[ $(job_state "${job[first]}") == COMPLETED ]] || fail "first: $(job_state "${job[first]}")"
[[ $(job_state "${job[second]}") == COMPLETED ]] || fail "second: $(job_state "${job[second]}")"
[[ $(job_state "${job[broken]}") == FAILED ]] || fail "broken: $(job_state "${job[broken]}")"
[[ $(job_field "${job[broken]}" ExitCode) == 3:0 ]] || fail "broken exit $(job_field "${job[broken]}" ExitCode), want 3"
[[ $(job_state "${job[after_broken]}") == CANCELLED ]] || fail "after_broken: $(job_state "${job[after_broken]}")"
[[ -e "$work/runs/chain/after_broken/status.json" ]] && fail "after_broken ran"
scontrol show job -o "${job[second]}" | grep -q "Dependency=" || fail "second has no dependency field"
grep -q '"state":"finished"' "$work/runs/chain/second/status.json" || fail "second did not finish"

again=$(submit "$work/p.yaml" --time=10 --signal-lead=0)
[[ $(awk '{print $1}' <<<"$again" | tr '\n' ' ') == "broken after_broken " ]] || fail "resubmitted: $again"
grep -q "stage first already finished" "$work/submit.err" || fail "no note that first finished"
finish
