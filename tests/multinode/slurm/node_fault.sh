#!/usr/bin/env bash
# node_fault.sh [kill|freeze]: a node fails mid-job under SLURM: `spct submit --nodes 2` of the 5-rank GRPO job, and
# after its third step, on the node running rank 4 (learner 1, alone there), kill: every process is killed, its
# slurmd and slurmstepd included; freeze: its spct rank is stopped (SIGSTOP; slurmd and slurmstepd run on). The
# surviving learner's step deadline (timeouts.step_s) names rank 4, its role and host, and the phase, within
# step_s + 5 s; its exit 4 makes srun end the step (--kill-on-bad-exit), and the job script exits 4 (job FAILED,
# ExitCode 4). Once the node's slurmd is back, the same `spct submit` resumes the run from its last checkpoint and
# ends with the weights and metrics of the uninterrupted one-host reference run.
# A frozen rank dies of srun's SIGKILL when the step ends, and the job still exits 4 (srun's code is the aborting
# rank's: the frozen task's kill is no exit of its own).
# Without the slurmd restart the job stays COMPLETING until slurmctld gives up on the node (SlurmdTimeout,
# 300 s by default) and marks it DOWN: measured 377 s from the kill.
fault=${1:-kill}  # kill: every process of the node; freeze: SIGSTOP the node's spct ranks
source "$(dirname "$0")/lib.sh"
source "$SPCT_SOURCE_DIR/tests/multinode/hosts/lib.sh"  # the job (base, settings, step_s) and same_as_reference
hosts=$SLURM_NODES/hosts
lost_host=""
restart_slurmd() {  # restart_slurmd I: host I's slurmd again (a no-op while it runs); the node registers idle
  local name
  name=$(bash "$hosts_script" exec "$hosts" "$1" hostname)
  bash "$hosts_script" exec "$hosts" "$1" /usr/sbin/slurmd -f "$SLURM_CONF" -N "$name" 2>/dev/null || true
}
trap '[[ -n "$lost_host" ]] && restart_slurmd "$lost_host"; cleanup' EXIT
submit_job() { submit "${base[@]}" "${settings[@]}" run.name=f --nodes 2 --time=5 --signal-lead=0; }
id=$(submit_job)
require_job_id "$id"
log=$work/f/slurm-$id.out
# The rank layout reaches the job's log through srun's output forwarding, which may lag behind the steps that
# rank 0 writes to metrics.jsonl directly: wait for both.
rank4_host() { rank_hosts "$log" | awk '$1 == 4 {print $2}'; }
while { (($(metric_lines f) < 3)) || [[ -z "$(rank4_host)" ]]; } && job_active "$id"; do sleep 0.01; done
host_name=$(rank4_host)
lost_host=${host_name##*-h}
[[ "$lost_host" =~ ^[0-9]+$ ]] || {
  fail "no host for rank 4 in the log's rank layout (job $id $(job_state "$id"), $(metric_lines f) metric lines)"
  tail -40 "$log"
  finish
}
# Rank 4 is the last rank, so in blocks it is on the job's second node, never the first: host 1 (slurmctld's) is
# the first node whenever the job has it.
((lost_host != 1)) || { fail "rank 4 ran on host 1, where slurmctld runs: not in blocks"; finish; }
if [[ $fault == freeze ]]; then
  for p in $(bash "$hosts_script" pids "$hosts" "$lost_host"); do
    grep -q "run.name=f" "/proc/$p/cmdline" 2>/dev/null && kill -STOP "$p"
  done
else
  bash "$hosts_script" signal "$hosts" "$lost_host" KILL
fi
struck=$SECONDS
echo "$fault: host $lost_host ($host_name) after $(metric_lines f) steps"
grep -q "^spct job: the run finished" "$log" && { fail "the job finished before the kill"; finish; }
# The test's own bound: the step deadline, 5 s, srun's wait for the step's other tasks (KillWait + 2 s) and 30 s.
limit=$((step_s + 5 + 12 + 30))
stall="aborting the job (exit code 4)"
detected="" ended=""
while ((SECONDS - struck <= limit)); do
  [[ -z "$detected" ]] && grep -q "$stall" "$log" && detected=$((SECONDS - struck))
  grep -q "^spct job: spct failed with exit code" "$log" && { ended=$((SECONDS - struck)); break; }
  sleep 0.1
done
first=$(grep -m1 "$stall" "$log")
echo "first error after ${detected:-no} s, job script ended after ${ended:-more than $limit} s: $first"
grep -Eq "rank 4 \(learner, host $host_name\) did not arrive in phase '[^']+'" <<<"$first" ||
  fail "the first error does not name rank 4 (learner, host $host_name) and a phase"
[[ -n "$detected" ]] && ((detected <= step_s + 5)) ||
  fail "the lost rank was named after ${detected:-no} s, later than the step deadline + 5 s"
[[ -n "$ended" ]] || fail "the job script still ran $limit s after the kill"
grep -q "^spct job: spct failed with exit code 4 " "$log" || fail "the job script did not exit 4: $(tail -3 "$log")"
restart_slurmd "$lost_host"
wait_for_states "$id" FAILED || fail "job $id did not end FAILED"
[[ "$(job_field "$id" ExitCode)" == 4:0 ]] || fail "job $id ExitCode $(job_field "$id" ExitCode), want 4:0"

again=$(submit_job)
require_job_id "$again"
wait_for_states "$again" COMPLETED || fail "the resubmitted job $again did not complete"
grep -q "resum" "$work/f/slurm-$again.out" || fail "the resubmitted job did not say it resumed"
same_as_reference f
((fail)) && failures=$((failures + 1))  # same_as_reference's verdict
finish
