#!/usr/bin/env bash
# What `spct train` refuses on resume (issue #7), each with exit 2, a message naming the problem, and the run
# directory untouched: a changed key that defines the experiment (listed; --allow-config-change accepts it),
# --resume never on an existing run, --resume with a path that is not a checkpoint. A finished run is not run
# again (exit 0, nothing rewritten).
set -uo pipefail
work=$(mktemp -d)
source "$(dirname "$0")/common.sh"
extra=(layout.colocate=true run.steps=4)

train r || say_fail "first run failed"
before=$(cat "$work/r/metrics.jsonl" "$work/r/status.json" | sha256sum)

expect_refusal() {  # expect_refusal MESSAGE ARGS...
  local message=$1; shift
  timeout 120 "$SPCT_BINARY" train "${base[@]}" "${extra[@]}" run.name=r "$@" > "$work/refused.log" 2>&1
  local code=$?
  [[ $code -eq 2 ]] || say_fail "$*: exit $code, want 2"
  grep -q -- "$message" "$work/refused.log" || { say_fail "$*: message lacks '$message'"; cat "$work/refused.log"; }
}
expect_refusal "rollout.group_size: 4 -> 2" rollout.group_size=2
expect_refusal "already holds a run" --resume never
expect_refusal "not a checkpoint directory" --resume "$work"
[[ "$before" == "$(cat "$work/r/metrics.jsonl" "$work/r/status.json" | sha256sum)" ]] || say_fail "a refusal changed the run"

train r > /dev/null || say_fail "rerunning a finished run failed"
grep -q "nothing to do" "$work/r.log" || say_fail "rerun of a finished run did not say so"
[[ "$before" == "$(cat "$work/r/metrics.jsonl" "$work/r/status.json" | sha256sum)" ]] || say_fail "rerun changed the run"

train r run.steps=6 rollout.group_size=2 --allow-config-change || say_fail "--allow-config-change was refused"
[[ $(metric_lines r) -eq 6 ]] || say_fail "extended run has $(metric_lines r) metric lines, want 6"
report
