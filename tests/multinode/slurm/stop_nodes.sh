#!/usr/bin/env bash
# stop_nodes.sh cancel|timelimit: `spct submit --nodes 2` of the 5-rank GRPO job is stopped mid-run by SLURM, and
# the run still ends with the weights and metrics of the uninterrupted one-host reference run:
#   cancel     a plain `scancel`: SLURM sends the job SIGTERM; the batch shell passes it to the ranks on both
#              nodes, they agree on a stop step, write one checkpoint and exit 75; the job ends CANCELLED, not
#              requeued (Restarts=0); the same `spct submit` again resumes from that checkpoint on 2 nodes
#   timelimit  the signal SLURM sends before a time limit (--signal=B:USR1@<lead>: SIGUSR1 to the batch shell),
#              sent now with `scancel --batch --signal=USR1` rather than after minutes; the ranks checkpoint and
#              exit 75, the job requeues itself and its second start (Restarts=1, on 2 nodes) resumes and finishes
# Load-independent: the run has 40 steps of about 0.05 s, which a loaded machine could finish before the signal
# makes its way there (slurmctld, slurmd, the batch shell, srun). So after step 3 the test stops every rank
# (SIGSTOP), signals the job, waits until the signal is pending in every rank (or SLURM continued them: its
# SIGTERM comes with a SIGCONT), then continues them: the ranks stop a step or two later whatever the load.
# The ranks stay stopped for a moment only, well inside timeouts.step_s, so no deadline passes.
# (The time limit itself sending USR1 is tested on one node: tests/slurm/submit/signal_requeue.sh.)
how=${1:?cancel or timelimit}
source "$(dirname "$0")/lib.sh"
source "$SPCT_SOURCE_DIR/tests/multinode/hosts/lib.sh"  # the job (base, settings, step_s) and same_as_reference
hosts=$SLURM_NODES/hosts
submit_job() { submit "${base[@]}" "${settings[@]}" run.name=s --nodes 2 --time=5 --signal-lead=0; }
case $how in
  cancel) signal=TERM bit=15 ;;
  timelimit) signal=USR1 bit=10 ;;
  *) echo "FAIL: cancel or timelimit, not '$how'"; exit 1 ;;
esac
# ranks: the job's spct tasks on every host of the cluster (srun's own command line names spct too, later).
ranks() {
  local i p
  for i in $(seq "$(cat "$hosts/hosts")"); do
    for p in $(bash "$hosts_script" pids "$hosts" "$i"); do
      [[ "$(head -z -n1 "/proc/$p/cmdline" 2>/dev/null | tr -d '\0')" == "$SPCT_BINARY" ]] &&
        grep -q "run.name=s" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
    done
  done
}
# settled PID: the signal is pending in PID (a process-directed signal: ShdPnd), or PID no longer stopped.
settled() {
  local pending state
  pending=$(awk '/^ShdPnd:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 0
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
  [[ -z "$pending" || "$state" != T ]] && return 0
  (((16#$pending >> (bit - 1)) & 1))
}

id=$(submit_job)
require_job_id "$id"
log=$work/s/slurm-$id.out
# The ranks are found while they start (a scan of the hosts takes a while), then stopped as soon as step 3 ends.
pids=()
while ((${#pids[@]} < 5)) && job_active "$id"; do
  mapfile -t pids < <(ranks)
  sleep 0.1
done
((${#pids[@]} == 5)) || { fail "found ${#pids[@]} ranks of job $id on the hosts, want 5"; tail -20 "$log"; finish; }
while (($(metric_lines s) < 3)) && job_active "$id"; do sleep 0.01; done
(($(metric_lines s) >= 3)) || {
  fail "job $id ended before its third step ($(job_state "$id")):"
  grep -v " info " "$log" | tail -20
  finish
}
kill -STOP "${pids[@]}"
at=$(metric_lines s)
case $how in
  cancel) scancel "$id" || fail "scancel $id failed" ;;
  timelimit) scancel --batch --signal=USR1 "$id" || fail "scancel --batch --signal=USR1 $id failed" ;;
esac
# Bounded by the stall deadline: the ranks must run again before theirs could pass.
deadline=$((SECONDS + step_s / 2))
for p in "${pids[@]}"; do
  until settled "$p" || ((SECONDS > deadline)); do sleep 0.05; done
  settled "$p" || fail "SIG$signal was not pending in rank process $p $((step_s / 2)) s after the signal"
done
kill -CONT "${pids[@]}"
echo "SIG$signal at step $at (the ranks held for it)"
case $how in
  cancel)
    wait_for_states "$id" CANCELLED || fail "job $id did not end CANCELLED"
    (($(job_field "$id" Restarts) == 0)) || fail "Restarts=$(job_field "$id" Restarts), want 0 after scancel"
    grep -q "stopped on SIGTERM (exit 75); not requeueing" "$log" || fail "the ranks did not checkpoint and exit 75"
    ;;
  timelimit)
    # The job goes on by itself: requeued, started again, resumed, finished.
    wait_for_states "$id" COMPLETED || fail "job $id did not complete after its requeue"
    (($(job_field "$id" Restarts) == 1)) || fail "Restarts=$(job_field "$id" Restarts), want 1"
    grep -q "the ranks wrote a checkpoint and stopped (exit 75); requeueing job $id" "$log" || fail "no exit 75 and requeue"
    ;;
esac
grep -q "received SIG$signal; passing it to the ranks" "$log" || fail "the batch shell got no SIG$signal"
echo "first start: $(grep -m1 -iE "stop(ped|ping) (on|at)" "$log")"
if [[ $how == cancel ]]; then
  grep -q '"state":"finished"' "$work/s/status.json" && fail "the cancelled run claims to have finished"
  again=$(submit_job)
  require_job_id "$again"
  wait_for_states "$again" COMPLETED || fail "the resubmitted job $again did not complete"
  [[ "$(job_field "$again" NumNodes)" == 2 ]] || fail "the resubmission ran on $(job_field "$again" NumNodes) nodes, want 2"
  resumed=$(grep -m1 "resuming from" "$work/s/slurm-$again.out")
else
  grep -q "spct job $id (start 2)" "$log" || fail "the job did not start again"
  [[ "$(job_field "$id" NumNodes)" == 2 ]] || fail "the requeued job ran on $(job_field "$id" NumNodes) nodes, want 2"
  resumed=$(grep -m1 "resuming from" "$log")
fi
echo "second start: ${resumed:-did not resume}"
[[ -n "$resumed" ]] || fail "the second start did not resume from a checkpoint"
grep -q "step-0*40\b" <<<"$resumed" && fail "the first start had reached the last step: nothing was left to resume"
[[ $(rank_hosts "$log" | cut -d' ' -f2 | sort -u | wc -l) -eq 2 ]] || fail "the first start's ranks did not use 2 nodes"
same_as_reference s
((fail)) && failures=$((failures + 1))  # same_as_reference's verdict
((failures)) && grep -v " info " "$log" | tail -40
finish
