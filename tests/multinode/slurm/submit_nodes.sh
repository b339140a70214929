#!/usr/bin/env bash
# `spct submit --nodes 2` of the 5-rank GRPO job on the 3-node cluster: the job COMPLETED on 2 nodes, every rank
# ran on the node srun's block distribution gives it (consecutive ranks fill each node's allocated tasks in order:
# the job script passes --distribution=block), both nodes ran ranks, and the final weights and metrics are those
# of the same seed on one host (the multinode suite's reference run, tests/multinode/hosts/reference.sh).
# SLURM_DISTRIBUTION=cyclic is set for the submission: sbatch hands it to the job, and an srun not told otherwise
# would spread the ranks round robin.
source "$(dirname "$0")/lib.sh"
source "$SPCT_SOURCE_DIR/tests/multinode/hosts/lib.sh"  # the job (base, settings) and same_as_reference
start=$SECONDS
id=$(SLURM_DISTRIBUTION=cyclic submit "${base[@]}" "${settings[@]}" run.name=two --nodes 2 --time=5 --signal-lead=0)
require_job_id "$id"
wait_for_states "$id" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL OUT_OF_MEMORY || fail "job $id did not end as expected"
echo "job $id: submit to end $((SECONDS - start)) s"
log=$work/two/slurm-$id.out
[[ "$(job_state "$id")" == COMPLETED ]] || { fail "job state $(job_state "$id")"; tail -30 "$log"; }
[[ "$(job_field "$id" NumNodes)" == 2 ]] || fail "NumNodes $(job_field "$id" NumNodes), want 2"
grep -q -- "--distribution=block" "$work/two/job.sbatch" || fail "the job script's srun does not ask for block"
placed=$(rank_hosts "$log")
expected=$(block_hosts "$log")
echo "ranks as they ran:"$'\n'"$placed"
[[ $(wc -l <<<"$placed") -eq 5 ]] || fail "the log's rank layout lists $(wc -l <<<"$placed") ranks, want 5"
[[ "$placed" == "$expected" ]] || fail "ranks did not land as the block distribution says; expected:"$'\n'"$expected"
[[ $(cut -d' ' -f2 <<<"$placed" | sort -u | wc -l) -eq 2 ]] || fail "the ranks did not use both nodes"
same_as_reference two
((fail)) && failures=$((failures + 1))  # same_as_reference's verdict
finish
