#!/usr/bin/env bash
# A run killed after its final checkpoint, or during the export of its model, exports the model when the same
# command runs again (issue 15.1); before, the rerun said "nothing to do" and <run>/model was never written.
# Rank 0 (the orchestrator: status.json's pid) is frozen with SIGSTOP at the moment the final checkpoint
# directory, or the export's staging directory, appears; if the export had already finished by then the attempt
# is repeated with a new run (the window is milliseconds), then rank 0 is killed with SIGKILL and mpirun ends the
# others. Argument: mpi (default, 5 ranks) or colocated.
set -uo pipefail
work=$(mktemp -d)
steps=4
source "$(dirname "$0")/common.sh"
extra=()
[[ "${1:-mpi}" == colocated ]] && extra+=(layout.colocate=true)
final=$(printf 'step-%08d' "$steps")
attempts=5

status_field() {  # status_field NAME KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/$1/status.json" 2>/dev/null
}
has_lines() { [[ $(metric_lines "$1") -ge $2 ]]; }
has_status() { [[ -f "$work/$1/status.json" ]]; }

# freeze_then_kill NAME PATH: starts run NAME; once PATH (relative to the run directory) exists, stops rank 0
# and returns 0 with rank 0 killed and the job gone, if the export had not finished (no model/ yet); returns 1
# when it had (the attempt came too late) or the run ended first.
freeze_then_kill() {
  local name=$1 path=$2
  start "$name"
  wait_until has_status "$name" || { kill_run "$name"; return 1; }
  local rank0
  rank0=$(status_field "$name" pid)
  # Poll gently until the last step's metrics are written, then spin: the final checkpoint and the export
  # follow within a fraction of a second.
  wait_until has_lines "$name" "$steps" || { kill_run "$name"; return 1; }
  until [[ -e "$work/$name/$path" ]] || ! kill -0 "$rank0" 2>/dev/null; do :; done
  kill -STOP "$rank0" 2>/dev/null
  if [[ -e "$work/$name/model" ]] || [[ ! -e "$work/$name/$path" ]]; then
    kill_run "$name"
    return 1
  fi
  kill -9 "$rank0"
  kill -CONT "$rank0" 2>/dev/null
  wait "$pid" 2>/dev/null  # mpirun (or the colocated process) ends once rank 0 is gone
  kill_run "$name"         # anything left of the job
  return 0
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

# Killed right after the final checkpoint was committed.
frozen=""
for i in $(seq 1 $attempts); do
  freeze_then_kill "after-checkpoint-$i" "checkpoints/$final" && { frozen="after-checkpoint-$i"; break; }
done
[[ -n "$frozen" ]] || say_fail "could not stop rank 0 between the final checkpoint and the export in $attempts runs"
[[ -n "$frozen" ]] && check_reexported "$frozen"

# Killed during the export (the staging copy exists, model/ does not yet).
frozen=""
for i in $(seq 1 $attempts); do
  freeze_then_kill "in-export-$i" ".model.partial" && { frozen="in-export-$i"; break; }
done
[[ -n "$frozen" ]] || say_fail "could not stop rank 0 during the export in $attempts runs"
[[ -n "$frozen" ]] && check_reexported "$frozen"
report
