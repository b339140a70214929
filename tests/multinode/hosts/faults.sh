#!/usr/bin/env bash
# A host fails mid-run while the GRPO job runs over 3 namespace hosts. Argument: the fault, on host 3 (learner 1,
# rank 4, the only rank there):
#   freeze  SIGSTOP every spct rank on the host
#   link    cut the host's cable (ip link set <its veth> down)
#   kill    SIGKILL every process on the host (its rank and Open MPI's daemon)
# freeze and link: within timeouts.step_s + 5 s of the fault the first error names the lost rank (rank 4, learner,
# host 3) and the phase its waiter expected it in, and the job exits 4 (mpirun's teardown of the ranks it can no
# longer reach may take longer: bounded by the test, reported).
# kill: Open MPI's mpirun notices the lost daemon and the closed sockets itself, at once, and ends the job with its
# own exit code before any spct deadline passes: it sends the surviving ranks SIGTERM, then SIGKILL. The job must
# end within timeouts.step_s + 5 s, non-zero, and spct's SIGTERM handler must have said, for a surviving rank,
# its role, host and phase and that it was waiting for rank 4 (learner, host 3) (core/whereabouts.h). Should spct's
# deadline ever come first, its stall report (exit 4) is accepted instead.
# In every case, once the host is back, the same command resumes from the last checkpoint and ends with the same
# weights and metrics as an uninterrupted run (the suite's reference run).
set -uo pipefail
fault=${1:?freeze, kill or link}
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- -"$pid" 2>/dev/null; bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" link "$NETNS_HOSTS" 3 up;
      bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" signal "$NETNS_HOSTS" 3 KILL; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
need_hosts
background=1 train_on_hosts faulted "${settings[@]}"
while kill -0 "$pid" 2>/dev/null && (($(metric_lines faulted) < 3)); do sleep 0.01; done
kill -0 "$pid" 2>/dev/null || { say_fail "the run ended before its third step"; report; }
case $fault in
  freeze)
    for p in $(bash "$hosts_script" pids "$NETNS_HOSTS" 3); do
      grep -q "run.name=faulted" "/proc/$p/cmdline" 2>/dev/null && kill -STOP "$p"
    done
    ;;
  kill) bash "$hosts_script" signal "$NETNS_HOSTS" 3 KILL ;;
  link) bash "$hosts_script" link "$NETNS_HOSTS" 3 down ;;
  *) echo "FAIL: unknown fault $fault"; exit 1 ;;
esac
struck=$SECONDS
echo "$fault on host 3 after $(metric_lines faulted) steps"
# The test's own bound: the step deadline, 5 s, and mpirun's teardown of the ranks it can still reach.
limit=$((step_s + 5 + 30))
stall="aborting the job (exit code 4)"
detected=""
while kill -0 "$pid" 2>/dev/null && ((SECONDS - struck <= limit)); do
  [[ -z "$detected" ]] && grep -q "$stall" "$work/faulted.log" && detected=$((SECONDS - struck))
  sleep 0.1
done
took=$((SECONDS - struck))
if kill -0 "$pid" 2>/dev/null; then
  say_fail "the job still ran ${took} s after the fault"
  kill -9 -- -"$pid" 2>/dev/null
fi
wait "$pid"
code=$?
pid=""
lost="rank 4 \(learner, host [^)]*-h3\)"
first=$(grep -m1 "$stall" "$work/faulted.log")
if [[ $fault == kill && -z "$first" ]]; then
  # mpirun ended the job first: each survivor's SIGTERM line says what it was waiting for.
  survivors=$(grep -E "^spct: at SIGTERM rank [0-3] \([a-z ]+, host [^)]*-h[12]\) was in phase '[^']+', waiting [0-9.]+ s for [^:]*$lost" \
    "$work/faulted.log")
  echo "exit $code after ${took} s; mpirun ended the job, the survivors said:"
  echo "$survivors"
  [[ $code -ne 0 ]] || say_fail "exit 0 after host 3 was killed"
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
train_on_hosts faulted "${settings[@]}" || say_fail "the resumed run failed"
grep -q "resum" "$work/faulted.log" || say_fail "the rerun did not resume from a checkpoint"
((fail)) || same_as_reference faulted
report
