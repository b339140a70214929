#!/usr/bin/env bash
# A host or rank fails mid-run while the GRPO job runs over 3 namespace hosts, started as a user starts it:
# `spct train` on host 1 runs its own mpirun (its child, orchestrator/run/launcher_child.h) over the hosts
# (lib.sh: launch_on_hosts). Arguments: the fault, and for exit the fault injector
# (tests/mpi/protocol/step_fault_injector.cpp):
#   freeze  SIGSTOP every spct rank on host 3 (learner 1, rank 4, the only rank there); Open MPI's daemon there
#           runs on
#   hang    SIGSTOP every process on host 3, Open MPI's daemon (orted) included, as when the whole node stalls:
#           mpirun cannot end the job (it waits for the frozen daemon for ever), so spct's own deadline for
#           mpirun must: SIGTERM timeouts.step_s + 10 s after the abort, SIGKILL 5 s later. Once the abort is
#           seen, mpirun is stopped too (SIGSTOP), as an mpirun stuck in a kernel wait would be, so that the
#           SIGTERM cannot end it and the SIGKILL must (Open MPI 4.1's mpirun, in the middle of an abort, takes a
#           SIGTERM as "hit ctrl-c again to forcibly terminate" and crashes: hang+kill sees that path)
#   hang+kill  host 3 frozen as for hang, then rank 2 (reward worker, host 2) killed (SIGKILL): mpirun begins
#           its abort at the death but never ends it, and never names the rank; spct must end mpirun at its limit
#           (timeouts.step_s + 10 s after mpirun's "the job has been aborted", SIGKILL 5 s later), exit 4 and name
#           rank 2 (reward worker, host 2) among the ranks that did not answer mpirun's SIGTERM
#   link    cut host 3's cable (ip link set <its veth> down)
#   kill    SIGKILL every process on host 3 (its rank and Open MPI's daemon)
#   exit    rank 2 (reward worker, host 2) exits with status 1 on its own, as a crashing rank does, at its first
#           reward result of step 3
# freeze, hang and link: within timeouts.step_s + 5 s of the fault the first error names the lost rank (rank 4,
# learner, host 3) and the phase its waiter expected it in, the ranks abort with exit 4, and spct exits 4 within
# the launcher's limit after that abort (timeouts.step_s + 10 s for mpirun to end the job, 5 s from SIGTERM to
# SIGKILL, and 5 s for spct to notice and exit). For hang, spct must also have said that it ended mpirun and
# killed it, and mpirun must be gone.
# kill and exit: Open MPI's mpirun notices the lost daemon or the exited rank itself, at once, and ends the job
# with its own status (1 or 9 for the rank's); spct maps that to its own exit 4 and a line that names the rank,
# its role and host (orchestrator/run/launcher_report.h). The job must end within timeouts.step_s + 5 s of the
# fault. For kill, spct's SIGTERM handler must also have said, for a surviving rank, its role, host and phase and
# that it was waiting for rank 4 (learner, host 3) (core/whereabouts.h).
# In every case, once the job ended and host 3 is back (thawed, cable up), no process is left on any host within
# timeouts.step_s (Open MPI's daemons end what the job left), and the same command resumes from the last
# checkpoint and ends with the same weights and metrics as an uninterrupted run (the suite's reference run).
set -uo pipefail
fault=${1:?freeze, hang, hang+kill, link, kill or exit}
injector=${2:-}
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" link "$NETNS_HOSTS" 3 up;
      bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" signal "$NETNS_HOSTS" 3 KILL; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
need_hosts
# The launcher's limits (orchestrator/train/train_job.cpp, launcher_child.h): mpirun may take step_s + 10 s to
# end the job after a rank aborted it, then gets SIGTERM, and SIGKILL 5 s later.
teardown_s=$((step_s + 10))
kill_grace_s=5
if [[ $fault == exit ]]; then
  [[ -f "$injector" ]] || { echo "FAIL: exit needs the fault injector's path, not '$injector'"; exit 1; }
  # Into the ranks only (Open MPI's -x, as an environment setting), not into spct or mpirun.
  mca_env=(OMPI_MCA_mca_base_env_list="LD_PRELOAD=$injector;SPCT_FAULT_FROM_STEP=1;SPCT_FAULT=r2:RewardResult:s3:d0#0:exit")
fi
background=1 launch_on_hosts faulted "${settings[@]}"
case $fault in
  exit) ;;  # strikes by itself
  *)
    while kill -0 "$pid" 2>/dev/null && (($(metric_lines faulted) < 3)); do sleep 0.01; done
    kill -0 "$pid" 2>/dev/null || { say_fail "the run ended before its third step"; report; }
    ;;
esac
until mpirun_pid=$(pgrep -P "$pid" -x mpirun) || ! kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
case $fault in
  freeze)
    for p in $(bash "$hosts_script" pids "$NETNS_HOSTS" 3); do
      grep -q "run.name=faulted" "/proc/$p/cmdline" 2>/dev/null && kill -STOP "$p"
    done
    ;;
  hang) bash "$hosts_script" signal "$NETNS_HOSTS" 3 STOP ;;
  hang+kill)
    bash "$hosts_script" signal "$NETNS_HOSTS" 3 STOP
    for p in $(bash "$hosts_script" pids "$NETNS_HOSTS" 2); do
      tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=2" && kill -KILL "$p"
    done
    ;;
  kill) bash "$hosts_script" signal "$NETNS_HOSTS" 3 KILL ;;
  link) bash "$hosts_script" link "$NETNS_HOSTS" 3 down ;;
  exit) ;;
  *) echo "FAIL: unknown fault $fault"; exit 1 ;;
esac
struck=$(date +%s.%N)
[[ $fault == exit ]] || echo "$fault on host 3 after $(metric_lines faulted) steps"
# The test's own bound, past every limit above: it only keeps a broken launcher from hanging the test.
limit=$((step_s + 5 + teardown_s + kill_grace_s + 30))
[[ $fault == exit ]] && limit=240  # the job starts and reaches step 3 first
stall="aborting the job (exit code 4)"
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }'; }  # whole seconds since $1
aborted=""
while kill -0 "$pid" 2>/dev/null && [[ $(since "$struck") -le $limit ]]; do
  if [[ -z "$aborted" ]] && grep -q "$stall" "$work/faulted.log"; then
    aborted=$(date +%s.%N)
    # mpirun stops answering signals too, as one stuck in a kernel wait would: spct's SIGTERM cannot end it.
    [[ $fault == hang ]] && kill -STOP "$mpirun_pid"
  fi
  sleep 0.1
done
ended=$(date +%s.%N)
took=$(awk -v a="$struck" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
if kill -0 "$pid" 2>/dev/null; then
  say_fail "the job still ran ${took} s after the fault"
  kill -9 -- -"$pid" 2>/dev/null
fi
wait "$pid"
code=$?
pid=""
[[ -z "$aborted" ]] && grep -q "$stall" "$work/faulted.log" && aborted=$ended
lost="rank 4 \(learner, host [^)]*-h3\)"
first=$(grep -m1 "$stall" "$work/faulted.log")
# within FROM LIMIT: the job ended at most LIMIT s after FROM (prints the time taken)
within() { awk -v a="$1" -v b="$ended" -v l="$2" 'BEGIN { t = b - a; printf "%.1f", t; exit !(t <= l) }'; }
case $fault in
  exit)
    injected=$(sed -n 's/^spct-fault: injected exit at .* at \([0-9.]*\)$/\1/p' "$work/faulted.log")
    named=$(grep -E "^spct: error: rank 2 \(reward worker, host [^)]*-h2\) exited with status 1 on its own" "$work/faulted.log")
    took=$(within "${injected:-0}" $((step_s + 5))) ||
      say_fail "the job ended ${took} s after the exit, later than the step deadline + 5 s"
    echo "exit $code ${took} s after the injected exit: ${named:-$first}"
    [[ -n "$injected" ]] || say_fail "the exit was never injected"
    [[ $code -eq 4 ]] || say_fail "exit $code, want 4"
    [[ -n "$named" ]] || grep -Eq "rank 2 \(reward worker, host [^)]*-h2\)" <<<"$first" ||
      say_fail "no line names rank 2 (reward worker, host 2) as the rank that exited"
    ;;
  hang+kill)
    # mpirun begins its abort at the death and never finishes it (the frozen daemon), so it never says which
    # rank died: spct ends mpirun at its limit and names the ranks that did not answer mpirun's SIGTERM.
    named=$(grep -E "^spct: error: a rank failed and Open MPI began ending the job without naming it: .*rank 2 \(reward worker, host [^)]*-h2\)" \
      "$work/faulted.log")
    took=$(within "$struck" $((teardown_s + kill_grace_s + 5))) ||
      say_fail "spct ended ${took} s after the kill, past the launcher's limit (step_s + 10 s, SIGKILL 5 s later) + 5 s"
    echo "exit $code ${took} s after the kill: $named"
    [[ $code -eq 4 ]] || say_fail "exit $code, want 4"
    [[ -n "$named" ]] || say_fail "spct's last line does not name rank 2 (reward worker, host 2) among the lost ranks"
    grep -E "^spct: mpirun still runs $teardown_s s after .*; ending it \(SIGTERM" "$work/faulted.log" ||
      say_fail "spct did not say it ended mpirun after its teardown limit ($teardown_s s)"
    ;;
  kill)
    # mpirun ends the job first: each survivor's SIGTERM line says what it was waiting for.
    survivors=$(grep -E "^spct: at SIGTERM rank [0-3] \([a-z ]+, host [^)]*-h[12]\) was in phase '[^']+', waiting [0-9.]+ s for [^:]*$lost" \
      "$work/faulted.log")
    named=$(grep -E "^spct: error: .*$lost" "$work/faulted.log")
    took=$(within "$struck" $((step_s + 5))) ||
      say_fail "the job ended ${took} s after the kill, later than the step deadline + 5 s"
    echo "exit $code ${took} s after the kill; spct said: ${named:-$first}"
    echo "the survivors said:"
    echo "$survivors"
    [[ $code -eq 4 ]] || say_fail "exit $code after host 3 was killed, want 4"
    [[ -n "$named" || -n "$first" ]] || say_fail "no spct error names rank 4 (learner, host 3)"
    [[ -n "$survivors" || -n "$first" ]] ||
      say_fail "no surviving rank said it was waiting for rank 4 (learner, host 3) at SIGTERM"
    ;;
  *)
    echo "exit $code ${took} s after the $fault; the abort $(awk -v a="$struck" -v b="${aborted:-$struck}" \
      'BEGIN { printf "%.1f", b - a }') s after it: $first"
    [[ $code -eq 4 ]] || say_fail "exit $code, want 4"
    grep -Eq "$lost did not arrive in phase '[^']+'" <<<"$first" ||
      say_fail "the first error does not name rank 4 (learner, host 3) and a phase"
    if [[ -n "$aborted" ]]; then
      t=$(awk -v a="$struck" -v b="$aborted" -v l=$((step_s + 5)) 'BEGIN { t = b - a; printf "%.1f", t; exit !(t <= l) }') ||
        say_fail "the lost rank was named ${t} s after the $fault, later than the step deadline + 5 s"
      t=$(within "$aborted" $((teardown_s + kill_grace_s + 5))) ||
        say_fail "spct ended ${t} s after the abort, past the launcher's limit (step_s + 10 s, SIGKILL 5 s later) + 5 s"
    fi
    if [[ $fault == hang ]]; then
      grep -E "^spct: mpirun still runs $teardown_s s after .*; ending it \(SIGTERM" "$work/faulted.log" ||
        say_fail "spct did not say it ended mpirun after its teardown limit ($teardown_s s)"
      grep -E "^spct: mpirun did not end $kill_grace_s s after SIGTERM; killed it \(SIGKILL\)" "$work/faulted.log" ||
        say_fail "spct did not say it killed mpirun (SIGKILL) $kill_grace_s s after its SIGTERM"
    fi
    ;;
esac
[[ -n "$mpirun_pid" ]] || say_fail "no mpirun child of spct was found while the job ran"
[[ -n "$mpirun_pid" ]] && kill -0 "$mpirun_pid" 2>/dev/null && say_fail "mpirun (pid $mpirun_pid) still runs after spct ended"
# An mpirun that spct ended leaves Open MPI's session directory on host 1 (in the shared /tmp), which spct removes.
session=/tmp/ompi.$(bash "$hosts_script" exec "$NETNS_HOSTS" 1 hostname -s).$(id -u)/pid.$mpirun_pid
[[ -n "$mpirun_pid" && -e "$session" ]] && { say_fail "mpirun's session directory $session is left behind"; rm -rf "$session"; }

# Host 3 comes back (thawed, cable up): what the job left on the hosts must end by itself (Open MPI's daemons end
# their ranks once they find mpirun gone), within the step deadline.
case $fault in
  freeze | hang*) bash "$hosts_script" signal "$NETNS_HOSTS" 3 CONT ;;
  link) bash "$hosts_script" link "$NETNS_HOSTS" 3 up ;;
esac
back=$(date +%s.%N)
left() { for i in 1 2 3; do bash "$hosts_script" pids "$NETNS_HOSTS" "$i"; done; }
while [[ -n "$(left)" ]] && [[ $(since "$back") -le $step_s ]]; do sleep 0.1; done
stray=$(left)
if [[ -n "$stray" ]]; then
  say_fail "processes left on the hosts $step_s s after host 3 came back:"
  ps -o pid,stat,etimes,args -p "$(tr '\n' ',' <<<"$stray" | sed 's/,$//')" | cut -c1-200
else
  echo "no process left on the hosts $(awk -v a="$back" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after host 3 came back"
fi

# The same command resumes and matches an uninterrupted run (strays, if any, killed first: already failed above).
bash "$hosts_script" signal "$NETNS_HOSTS" 3 KILL
mca_env=()
launch_on_hosts faulted "${settings[@]}" || say_fail "the resumed run failed"
grep -q "resum" "$work/faulted.log" || say_fail "the rerun did not resume from a checkpoint"
((fail)) || same_as_reference faulted
report
