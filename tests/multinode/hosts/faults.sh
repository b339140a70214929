#!/usr/bin/env bash
# A host or rank fails mid-run while the GRPO job runs over 3 namespace hosts. Arguments: the fault, and for exit
# the fault injector (tests/mpi/protocol/step_fault_injector.cpp):
#   freeze  SIGSTOP every spct rank on host 3 (learner 1, rank 4, the only rank there)
#   link    cut host 3's cable (ip link set <its veth> down)
#   kill    SIGKILL every process on host 3 (its rank and Open MPI's daemon)
#   exit    rank 2 (reward worker, host 2) exits with status 1 on its own, as a crashing rank does, at its first
#           reward result of step 3
# freeze and link run under mpirun (netns-hosts.sh mpirun): within timeouts.step_s + 5 s of the fault the first
# error names the lost rank (rank 4, learner, host 3) and the phase its waiter expected it in, and the job exits 4
# (mpirun's teardown of the ranks it can no longer reach may take longer: bounded by the test, reported).
# kill and exit run as a user runs them: `spct train` on host 1 starts its own mpirun (its child) over the hosts
# (lib.sh: launch_on_hosts). Open MPI's mpirun notices the lost daemon or the exited rank itself, at once, and
# ends the job with its own status (1 or 9 for the rank's); spct maps that to its own exit 4 and a line that
# names the rank, its role and host (orchestrator/run/launcher_report.h). The job must end within
# timeouts.step_s + 5 s of the fault. For kill, spct's SIGTERM handler must also have said, for a surviving
# rank, its role, host and phase and that it was waiting for rank 4 (learner, host 3) (core/whereabouts.h).
# Should spct's deadline ever come first, its stall report (exit 4) is accepted instead.
# In every case, once the host is back (or without the injected exit), the same command resumes from the last
# checkpoint and ends with the same weights and metrics as an uninterrupted run (the suite's reference run).
set -uo pipefail
fault=${1:?freeze, kill, link or exit}
injector=${2:-}
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" link "$NETNS_HOSTS" 3 up;
      bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" signal "$NETNS_HOSTS" 3 KILL; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
need_hosts
run_job() {  # run_job ARGS: the job, as the fault's case runs it
  if [[ $fault == kill || $fault == exit ]]; then launch_on_hosts faulted "$@"; else train_on_hosts faulted "$@"; fi
}
if [[ $fault == exit ]]; then
  [[ -f "$injector" ]] || { echo "FAIL: exit needs the fault injector's path, not '$injector'"; exit 1; }
  # Into the ranks only (Open MPI's -x, as an environment setting), not into spct or mpirun.
  mca_env=(OMPI_MCA_mca_base_env_list="LD_PRELOAD=$injector;SPCT_FAULT_FROM_STEP=1;SPCT_FAULT=r2:RewardResult:s3:d0#0:exit")
fi
background=1 run_job "${settings[@]}"
case $fault in
  exit) ;;  # strikes by itself
  *)
    while kill -0 "$pid" 2>/dev/null && (($(metric_lines faulted) < 3)); do sleep 0.01; done
    kill -0 "$pid" 2>/dev/null || { say_fail "the run ended before its third step"; report; }
    ;;
esac
case $fault in
  freeze)
    for p in $(bash "$hosts_script" pids "$NETNS_HOSTS" 3); do
      grep -q "run.name=faulted" "/proc/$p/cmdline" 2>/dev/null && kill -STOP "$p"
    done
    ;;
  kill) bash "$hosts_script" signal "$NETNS_HOSTS" 3 KILL ;;
  link) bash "$hosts_script" link "$NETNS_HOSTS" 3 down ;;
  exit) ;;
  *) echo "FAIL: unknown fault $fault"; exit 1 ;;
esac
struck=$SECONDS
[[ $fault == exit ]] || echo "$fault on host 3 after $(metric_lines faulted) steps"
# The test's own bound: the step deadline, 5 s, and mpirun's teardown of the ranks it can still reach.
limit=$((step_s + 5 + 30))
[[ $fault == exit ]] && limit=240  # the job starts and reaches step 3 first
stall="aborting the job (exit code 4)"
detected=""
while kill -0 "$pid" 2>/dev/null && ((SECONDS - struck <= limit)); do
  [[ -z "$detected" ]] && grep -q "$stall" "$work/faulted.log" && detected=$((SECONDS - struck))
  sleep 0.1
done
took=$((SECONDS - struck))
ended=$(date +%s.%N)
if kill -0 "$pid" 2>/dev/null; then
  say_fail "the job still ran ${took} s after the fault"
  kill -9 -- -"$pid" 2>/dev/null
fi
wait "$pid"
code=$?
pid=""
lost="rank 4 \(learner, host [^)]*-h3\)"
first=$(grep -m1 "$stall" "$work/faulted.log")
if [[ $fault == exit ]]; then
  injected=$(sed -n 's/^spct-fault: injected exit at .* at \([0-9.]*\)$/\1/p' "$work/faulted.log")
  took=$(awk -v a="${injected:-0}" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
  named=$(grep -E "^spct: error: rank 2 \(reward worker, host [^)]*-h2\) exited with status 1 on its own" "$work/faulted.log")
  echo "exit $code ${took} s after the injected exit: ${named:-$first}"
  [[ -n "$injected" ]] || say_fail "the exit was never injected"
  [[ $code -eq 4 ]] || say_fail "exit $code, want 4"
  [[ -n "$named" ]] || grep -Eq "rank 2 \(reward worker, host [^)]*-h2\)" <<<"$first" ||
    say_fail "no line names rank 2 (reward worker, host 2) as the rank that exited"
  awk -v t="$took" -v l="$((step_s + 5))" 'BEGIN { exit !(t <= l) }' ||
    say_fail "the job ended ${took} s after the exit, later than the step deadline + 5 s"
elif [[ $fault == kill && -z "$first" ]]; then
  # mpirun ended the job first: each survivor's SIGTERM line says what it was waiting for.
  survivors=$(grep -E "^spct: at SIGTERM rank [0-3] \([a-z ]+, host [^)]*-h[12]\) was in phase '[^']+', waiting [0-9.]+ s for [^:]*$lost" \
    "$work/faulted.log")
  named=$(grep -E "^spct: error: .*$lost" "$work/faulted.log")
  echo "exit $code after ${took} s; mpirun ended the job; spct said: $named"
  echo "the survivors said:"
  echo "$survivors"
  [[ $code -eq 4 ]] || say_fail "exit $code after host 3 was killed, want 4"
  [[ -n "$named" ]] || say_fail "spct's last line does not name rank 4 (learner, host 3)"
  [[ -n "$survivors" ]] || say_fail "no surviving rank said it was waiting for rank 4 (learner, host 3) at SIGTERM"
  ((took <= step_s + 5)) || say_fail "the job ended ${took} s after the kill, later than the step deadline + 5 s"
else
  echo "exit $code after ${took} s (first error after ${detected:-?} s): $first"
  [[ $code -eq 4 ]] || say_fail "exit $code, want 4"
  grep -Eq "$lost did not arrive in phase '[^']+'" <<<"$first" ||
    say_fail "the first error does not name rank 4 (learner, host 3) and a phase"
  [[ -n "$detected" ]] && ((detected <= step_s + 5)) ||
    say_fail "the lost rank was named after ${detected:-no} s, later than the step deadline + 5 s"
fi

# The host comes back (cable up, stray ranks gone); the same command resumes and matches an uninterrupted run.
bash "$hosts_script" link "$NETNS_HOSTS" 3 up
bash "$hosts_script" signal "$NETNS_HOSTS" 3 KILL
mca_env=()
run_job "${settings[@]}" || say_fail "the resumed run failed"
grep -q "resum" "$work/faulted.log" || say_fail "the rerun did not resume from a checkpoint"
((fail)) || same_as_reference faulted
report
