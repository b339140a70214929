#!/usr/bin/env bash
# nccl_stall_test.sh <program> <mpiexec>: runs nccl_stall_program.cpp on one rank and checks how the job ended:
# exit 4 from the stall detector, a report naming the rank, the phase and the NCCL operation, and an end within
# the deadline (3 s) plus the stall report's grace period and the job's teardown. Exit 77 (no CUDA device) is
# passed on: CTest reports the test as skipped.
set -uo pipefail
program=$1 mpiexec=$2
start=$SECONDS
out=$(timeout 120 "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none -n 1 "$program" 2>&1)
code=$?
elapsed=$((SECONDS - start))
printf '%s\n--- exit %d after %d s\n' "$out" "$code" "$elapsed"
[[ $code -eq 77 ]] && exit 77
fail() { echo "FAIL: $*"; exit 1; }
[[ $code -eq 124 ]] && fail "the stalled collective hung the job (the outer timeout ended it)"
[[ $code -eq 4 ]] || fail "exit $code, want 4"
grep -q "all_reduce started behind a blocked stream" <<<"$out" || fail "the program did not reach the collective"
grep -q "all_reduce (avg) of 1024 float32 on NCCL (device 0)" <<<"$out" || fail "the report does not name the operation"
grep -q "rank 0" <<<"$out" || fail "the report does not name the rank"
grep -q "'nccl stall'" <<<"$out" || fail "the report does not name the phase"
# Start-up (MPI, CUDA context, NCCL communicator) is outside the deadline; 30 s covers it on a GPU machine.
((elapsed <= 3 + 30)) || fail "the job took $elapsed s to end; the deadline is 3 s"
echo "1 passed, 0 failed"
