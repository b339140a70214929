# Shared by the cases on the multinode SLURM cluster (sourced): points the SLURM clients at the cluster of
# $SLURM_NODES (scripts/slurm-local.sh env: its slurm.conf, and its client wrappers, which run on host 1), skips
# (77) when the suite's fixture could not start it, then brings in the slurm suite's helpers
# (tests/slurm/submit/lib.sh: submit, wait_for_states, job_field, fail, finish; a scratch $work).
: "${SLURM_NODES:?set by tests/multinode/slurm/CMakeLists.txt}" "${SPCT_SOURCE_DIR:?}"
[[ -s "$SLURM_NODES/nodes" ]] || {
  echo "SKIP: no SLURM cluster in $SLURM_NODES: the test 'multinode: start a 3-node SLURM cluster on namespace" \
    "hosts' says why (it needs root, slurm-wlm, munge and a kernel that allows network namespaces)"
  exit 77
}
eval "$(bash "$SPCT_SOURCE_DIR/scripts/slurm-local.sh" env "$SLURM_NODES")"
source "$SPCT_SOURCE_DIR/tests/slurm/submit/lib.sh"

# rank_hosts LOG: "RANK HOSTNAME" per rank, from the rank-layout table spct printed into the job's log.
rank_hosts() {
  sed -nE 's/^ +([0-9]+) +[a-z].* [0-9]+ \(([^)]+)\) .*/\1 \2/p' "$1"
}

# block_hosts JOB: "RANK HOSTNAME" per rank as srun's block distribution places them: the job's nodes in order,
# each taking as many consecutive ranks as SLURM allocated there (SLURM_TASKS_PER_NODE, which the job's log
# header prints, e.g. "4,1" or "2(x2)").
block_hosts() {
  local log=$1 counts nodes=() rank=0 i n entry
  counts=$(sed -nE 's/^spct job .*\(tasks per node (.*)\): run .*/\1/p' "$log" | head -1)
  mapfile -t nodes < <(scontrol show hostnames "$(sed -nE 's/^spct job [0-9]+ \(start 1\) on ([^ ]+) .*/\1/p' "$log" | head -1)")
  i=0
  for entry in ${counts//,/ }; do
    local count=${entry%%(*} times=1
    [[ "$entry" == *"(x"* ]] && times=${entry##*(x} && times=${times%)}
    for ((n = 0; n < times; n++, i++)); do
      for ((c = 0; c < count; c++, rank++)); do echo "$rank ${nodes[i]}"; done
    done
  done
}
