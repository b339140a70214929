#!/usr/bin/env bash
# A pipeline of two 4-rank stages submitted across nodes (`spct submit PIPELINE --nodes 2`): `second` waits for
# `first` (afterok) and starts from its exported model; each stage's job COMPLETED on 2 nodes with its ranks on
# both, and both runs finished. (tests/slurm/submit/pipeline_chain.sh checks the chain's failure handling on one
# node.)
source "$(dirname "$0")/lib.sh"
cat > "$work/small.yaml" <<YAML
run: {steps: 2}
sft: {warmup_steps: 2}
rollout: {prompts_per_step: 2, group_size: 2}
YAML
cat > "$work/p.yaml" <<YAML
pipeline: {name: chain, dir: $work/runs}
stages:
  - {name: first, config: small.yaml}
  - {name: second, config: small.yaml, overrides: ['grm.model_path=\${first}/model']}
YAML
start=$SECONDS
out=$(submit "$work/p.yaml" --nodes 2 --time=3 --signal-lead=0)
declare -A job
while read -r stage id; do job[$stage]=$id; done <<<"$out"
[[ ${#job[@]} -eq 2 ]] || { echo "FAIL: expected 2 jobs, got: $out"; exit 1; }
for stage in first second; do
  wait_for_states "${job[$stage]}" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL || fail "stage $stage did not end as expected"
done
echo "pipeline: submit to end $((SECONDS - start)) s"
scontrol show job -o "${job[second]}" | grep -q "Dependency=" || fail "second has no dependency field"
for stage in first second; do
  id=${job[$stage]}
  log=$work/runs/chain/$stage/slurm-$id.out
  [[ $(job_state "$id") == COMPLETED ]] || { fail "$stage: $(job_state "$id")"; tail -30 "$log"; }
  [[ "$(job_field "$id" NumNodes)" == 2 ]] || fail "$stage: NumNodes $(job_field "$id" NumNodes), want 2"
  placed=$(rank_hosts "$log")
  [[ "$placed" == "$(block_hosts "$log")" ]] || fail "$stage: ranks not in blocks: $placed"
  [[ $(cut -d' ' -f2 <<<"$placed" | sort -u | wc -l) -eq 2 ]] || fail "$stage: the ranks did not use both nodes"
  grep -q '"state":"finished"' "$work/runs/chain/$stage/status.json" || fail "$stage did not finish"
done
# afterok: second started only once first had ended.
first_end=$(job_field "${job[first]}" EndTime)
second_start=$(job_field "${job[second]}" StartTime)
[[ ! "$second_start" < "$first_end" ]] || fail "second started at $second_start, before first ended at $first_end"
finish
