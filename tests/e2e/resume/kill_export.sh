#!/usr/bin/env bash
# A run killed after its final checkpoint, or during the export of its model, exports the model when the same
# command runs again (issue 15.1); before, the rerun said "nothing to do" and <run>/model was never written.
# The kill points are exact, not raced: the run starts under strace, which holds rank 0 right after one system
# call (`-e inject=...:delay_exit`, only for the path given with -P): the rename that commits the final checkpoint
# (before checkpoints/latest names it), or the creation of the model file in the export's staging directory.
# While rank 0 is held there, the test kills it with SIGKILL (rank 0 is status.json's pid) and mpirun ends the
# other ranks. Argument: mpi (default, 5 ranks) or colocated.
set -uo pipefail
command -v strace > /dev/null || { echo "FAIL: strace is not installed (scripts/install-deps.sh installs it)"; exit 1; }
work=$(mktemp -d)
steps=4
source "$(dirname "$0")/common.sh"
extra=()
[[ "${1:-mpi}" == colocated ]] && extra+=(layout.colocate=true)
final=$(printf 'step-%08d' "$steps")

status_field() {  # status_field NAME KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/$1/status.json" "$2" 2>/dev/null
}

# kill_after NAME SYSCALLS FROM DONE: runs NAME under strace, which holds the process whose call of one of
# SYSCALLS names FROM (its first path; strace's -P matches that one) for ten minutes once the call has returned;
# as soon as DONE exists (both relative to the run directory), kills that process, rank 0, with SIGKILL, then the
# rest of the job and strace. Returns 1 if the run ended before DONE appeared.
kill_after() {
  local name=$1 syscalls=$2 from=$3 done=$4
  setsid strace -f --seccomp-bpf -qq -o /dev/null -e trace="$syscalls" -P "$work/$name/$from" \
    -e inject="$syscalls":delay_exit=600s \
    "$SPCT_BINARY" train "${base[@]}" "${extra[@]}" run.name="$name" >> "$work/$name.log" 2>&1 &
  pid=$!
  done_exists() { [[ -e "$work/$name/$done" ]]; }
  wait_until done_exists || { kill_run "$name"; return 1; }
  kill -9 "$(status_field "$name" pid)"
  kill_run "$name"  # strace, which would hold on to the dead rank until its delay ends, and the other ranks
}

# check_reexported NAME: the rerun of a killed run exits 0, exports the final checkpoint's model and finishes.
check_reexported() {
  local name=$1
  [[ "$(status_field "$name" state)" == running ]] || say_fail "$name: status after the kill is not 'running'"
  train "$name" || say_fail "$name: the rerun failed"
  grep -q "has not finished exporting its model" "$work/$name.log" || say_fail "$name: the rerun did not say why"
  grep -q "nothing to do" "$work/$name.log" && say_fail "$name: the rerun did nothing"
  cmp -s "$work/$name/checkpoints/$final/model/model.safetensors" "$work/$name/model/model.safetensors" ||
    say_fail "$name: model/ is not the final checkpoint's model"
  [[ ! -e "$work/$name/.model.partial" ]] || say_fail "$name: the export's staging directory was left behind"
  [[ "$(status_field "$name" state)" == finished ]] || say_fail "$name: status is not 'finished'"
  [[ "$(status_field "$name" step)" == "$steps" ]] || say_fail "$name: status step is not $steps"
  [[ "$(cat "$work/$name/checkpoints/latest")" == "$final" ]] || say_fail "$name: checkpoints/latest is not $final"
  "$SPCT_BINARY" runs "$work" > "$work/runs.txt" 2>&1
  grep -Eq "^$name +finished +$steps" "$work/runs.txt" || say_fail "$name: spct runs does not say finished"
  # A third run has nothing left to do and leaves the export alone.
  local before
  before=$(stat -c %Y.%i "$work/$name/model")
  train "$name" || say_fail "$name: the third run failed"
  grep -q "nothing to do" "$work/$name.log" || say_fail "$name: the third run did not say 'nothing to do'"
  [[ "$(stat -c %Y.%i "$work/$name/model")" == "$before" ]] || say_fail "$name: the third run exported again"
}

# Killed right after the final checkpoint was committed (its directory renamed into place; checkpoints/latest
# still names the checkpoint before it).
kill_after after-checkpoint rename,renameat,renameat2 "checkpoints/.partial-$final" "checkpoints/$final" ||
  say_fail "the run ended before its final checkpoint"
[[ ! -e "$work/after-checkpoint/model" ]] || say_fail "after-checkpoint: exported before the kill"
check_reexported after-checkpoint

# Killed during the export: the staging copy of the model file is created, not yet written, model/ absent.
kill_after in-export open,openat .model.partial/model.safetensors .model.partial/model.safetensors ||
  say_fail "the run ended before its export"
[[ ! -e "$work/in-export/model" ]] || say_fail "in-export: exported before the kill"
check_reexported in-export
report
