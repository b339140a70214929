# Helpers for the slurm suite's scripts (sourced). The cluster is the one scripts/slurm-local.sh started for the
# suite (SLURM_CONF names its config); each script works in a scratch directory of its own.
set -uo pipefail
: "${SLURM_CONF:?the slurm suite needs SLURM_CONF (set by tests/slurm/submit/CMakeLists.txt)}"
: "${SPCT_BINARY:?}" "${SPCT_SOURCE_DIR:?}"
export SLURM_CONF
work=$(mktemp -d)
chmod 755 "$work"
# cancel_job ID...: ends jobs at once. A plain scancel sends TERM, which spct's job script passes to the ranks,
# and they write a checkpoint before they exit; SIGKILL to the batch shell and its steps first skips that wait.
cancel_job() {
  scancel --full --signal=KILL "$@" 2>/dev/null
  scancel "$@" 2>/dev/null
}
cleanup() {  # cancel whatever this test submitted and is still queued or running
  [[ -s "$work/jobs" ]] && cancel_job $(cat "$work/jobs")
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# job_state ID: COMPLETED, RUNNING, PENDING, FAILED, CANCELLED, ... (the first array task's state for an array)
job_state() {
  scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2
}

# job_field ID FIELD: e.g. job_field 12 ExitCode -> 3:0
job_field() {
  scontrol show job -o "$1" 2>/dev/null | grep -o " $2=[^ ]*" | head -1 | cut -d= -f2
}

# job_active ID: 0 while any task of ID may still run: running, being requeued or started, or pending for a
# reason that can clear (not a dependency that can never be met).
job_active() {
  local line
  while read -r line; do
    [[ $line =~ JobState=(RUNNING|CONFIGURING|COMPLETING|REQUEUED|REQUEUE_HOLD|RESIZING|SUSPENDED|SIGNALING|STAGE_OUT) ]] &&
      return 0
    [[ $line =~ JobState=PENDING && ! $line =~ Reason=DependencyNeverSatisfied ]] && return 0
  done < <(scontrol show job -o "$1" 2>/dev/null)
  return 1
}

# wait_for_states ID STATE...: waits while the job (every array task of ID) is active (job_active), then returns
# 0 if every task ended in one of the STATEs, 1 otherwise (printing the job). No wall-clock limit of its own: a
# job ends by itself, at the latest at its --time limit (and spct's own deadlines end a stalled run long before),
# however loaded the machine; the test's TIMEOUT is only the last guard.
wait_for_states() {
  local id=$1 states
  shift
  while job_active "$id"; do sleep 1; done
  states=$(scontrol show job -o "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort -u)
  local all=1
  [[ -n "$states" ]] || all=0
  for s in $states; do [[ " $* " == *" $s "* ]] || all=0; done
  ((all)) && return 0
  echo "job $id ended in [$states], not in [$*]:"
  scontrol show job "$id"
  return 1
}

# submit ARGS...: runs `spct submit ARGS` and prints its stdout (the job ids); records the ids in $work/jobs for
# the cleanup, since callers run it in a subshell: id=$(submit ...). On failure it prints spct's messages to
# stderr and prints nothing, which the caller's checks of the ids catch.
submit() {
  local out
  out=$("$SPCT_BINARY" submit "$@" 2>"$work/submit.err") || {
    echo "FAIL: spct submit $* exited with $?" >&2
    cat "$work/submit.err" >&2
    return 1
  }
  awk '{print $NF}' <<<"$out" >> "$work/jobs"
  echo "$out"
}

finish() {
  if ((failures)); then echo "0 passed, 1 failed"; exit 1; fi
  echo "1 passed, 0 failed"
}

# require_job_id TEXT: ends the test unless spct submit printed a job id.
require_job_id() {
  [[ "$1" =~ ^[0-9]+$ ]] || { echo "FAIL: spct submit printed '$1', not a job id"; echo "0 passed, 1 failed"; exit 1; }
}
