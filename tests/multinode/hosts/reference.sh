#!/usr/bin/env bash
# The suite's reference: the GRPO job of lib.sh with its common settings, uninterrupted, on this machine (one
# host, shared memory between ranks), into $MULTINODE_REFERENCE/reference. Every case that runs the job over the
# namespace hosts (three_hosts.sh, faults.sh) must end with exactly its weights and metrics. A fixture: it runs
# once, before those cases.
set -uo pipefail
work=${MULTINODE_REFERENCE:?}
source "$(dirname "$0")/lib.sh"
need_hosts
rm -rf "$work"
mkdir -p "$work"
train_here reference "${settings[@]}" || say_fail "the reference run failed"
echo "reference: $(metric_lines reference) steps in $work/reference"
report
