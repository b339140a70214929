#!/usr/bin/env bash
# The GRPO job spread over 3 namespace hosts (TCP between every pair of ranks, no shared memory) gives the same
# final weights and metrics, byte for byte, as the same seed on one host (the suite's reference run); host 3's
# cable carried at least the learners' gradient all-reduces (learner 1 is alone there).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
need_hosts
before=$(veth_bytes 3)
start=$SECONDS
train_on_hosts three "${settings[@]}" || say_fail "the run over 3 hosts failed"
crossed=$(($(veth_bytes 3) - before))
steps=$(metric_lines three)
echo "3 hosts: $((SECONDS - start)) s for $steps steps (startup included); host 3's cable: $crossed bytes"
grep -q "4  learner 1 .*-h3)" "$work/three.log" || say_fail "learner 1 did not run on host 3"
((fail)) || same_as_reference three
weights=$(stat -c %s "$work/three/model/model.safetensors" 2>/dev/null || echo 0)
# Each step all-reduces the gradients (the size of the weights, float32) between the two learners.
((crossed >= steps * weights)) || say_fail "host 3's cable carried $crossed bytes, less than $steps x $weights"
report
