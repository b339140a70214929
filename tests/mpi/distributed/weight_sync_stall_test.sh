#!/usr/bin/env bash
# weight_sync_stall_test.sh <program> <mpiexec> <mode>: runs weight_sync_stall_program.cpp on 4 ranks and checks
# how the job ended when the learner failed during the rollout worker's overlapped weight receive. No
# wall-clock limit of its own: a stopped learner stays stopped, so a job that ends at all ended at its deadline
# (3 s); the outer timeout only turns a hang (the bug) into a failure.
set -uo pipefail
program=$1 mpiexec=$2 mode=$3
out=$(timeout 120 "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none -n 4 "$program" "$mode" 2>&1)
code=$?
printf '%s\n--- exit %d\n' "$out" "$code"
# Open MPI 4.1's mpiexec can segfault in PMIx_server_finalize after MPI_Abort (tests/mpi/comm/stall_test.sh):
# then take the code from spct's own line before the abort.
if [[ $code -eq 139 ]] && grep -q "PMIx_server_finalize" <<<"$out"; then
  abort_code=$(sed -n 's/.*aborting the job (exit code \([0-9]*\)).*/\1/p' <<<"$out" | head -1)
  [[ -n $abort_code ]] && code=$abort_code
fi
fail() { echo "FAIL ($mode): $*"; exit 1; }
[[ $code -eq 124 ]] && fail "the job hung: still running when the outer timeout ended it"
case $mode in
  ok)
    [[ $code -eq 0 ]] || fail "exit $code, want 0"
    grep -q "rank 1 received version 1" <<<"$out" || fail "the rollout worker did not receive version 1"
    [[ $(grep -c "finished" <<<"$out") -eq 4 ]] || fail "not every rank finished"
    ;;
  stop)
    [[ $code -eq 4 ]] || fail "exit $code, want 4"
    grep -Eq "rank 3 \(learner, host [^)]+\) (did not arrive in phase 'weight_sync' within 3 s|was not running for)" \
      <<<"$out" || fail "no report naming the stopped learner"
    grep -q "rank 1 (rollout worker) waited 3 s in phase 'weight_sync' for broadcast of 16 bytes from rank 0 on communicator 'weight sync'" \
      <<<"$out" || fail "the report does not show the rollout worker waiting for the weights in phase 'weight_sync'"
    ;;
  throw)
    [[ $code -eq 4 ]] || fail "exit $code, want 4"
    grep -q "rank 3 (learner) failed in phase 'train': the update failed" <<<"$out" ||
      fail "no failure report naming the learner and its phase"
    ;;
  *) fail "unknown mode" ;;
esac
echo "ok ($mode)"
