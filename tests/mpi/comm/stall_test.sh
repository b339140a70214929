#!/usr/bin/env bash
# stall_test.sh <stall_program> <mpiexec> <mode>: runs the 4-rank stall program (stall_program.cpp) and checks
# the exit status, that the job ended within the deadline (3 s) + 5 s, and that the output names the rank.
set -uo pipefail
program=$1 mpiexec=$2 mode=$3
deadline_s=3
limit_s=$((deadline_s + 5))

start=$(date +%s.%N)
out=$(timeout 60 "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none -n 4 "$program" "$mode" 2>&1)
code=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
printf '%s\n--- exit %d after %.1f s\n' "$out" "$code" "$elapsed"

fail() { echo "FAIL ($mode): $*"; exit 1; }
case $mode in
  ok)
    [[ $code -eq 0 ]] || fail "exit $code, want 0"
    [[ $(grep -c "finished" <<<"$out") -eq 4 ]] || fail "not every rank finished"
    ;;
  sleep-collective)
    [[ $code -eq 4 ]] || fail "exit $code, want 4"
    grep -q "rank 2 (reward worker) did not arrive in phase 'reward' within 3 s" <<<"$out" || fail "no stall report naming rank 2"
    grep -q "waited 3 s in phase 'reward' for barrier on communicator 'world'" <<<"$out" || fail "report lacks the operation"
    ;;
  sleep-recv)
    [[ $code -eq 4 ]] || fail "exit $code, want 4"
    grep -q "rank 0 (orchestrator) waited 3 s in phase 'reward' for a message with tag 4 from rank 2" <<<"$out" ||
      fail "report lacks the receive"
    grep -q "rank 2 (reward worker) did not arrive in phase 'reward' within 3 s" <<<"$out" || fail "rank 2 not named"
    ;;
  kill)
    [[ $code -ne 0 ]] || fail "exit 0 after a rank was killed"
    grep -Eq "rank 2 .*(signal 9|Killed)" <<<"$out" || fail "mpirun did not name rank 2"
    ;;
  throw)
    [[ $code -eq 4 ]] || fail "exit $code, want 4"
    grep -q "rank 2 (reward worker) failed in phase 'reward': the critique has no" <<<"$out" ||
      fail "no failure report naming rank 2 and its phase"
    ;;
  *) fail "unknown mode" ;;
esac
if (($(echo "$elapsed > $limit_s" | bc))); then fail "took ${elapsed} s, limit ${limit_s} s"; fi
echo "ok ($mode)"
