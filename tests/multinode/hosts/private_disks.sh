#!/usr/bin/env bash
# No hidden shared filesystem: on 3 namespace hosts that each mount their own disk (a tmpfs) on the run
# directory, the job is refused at startup (exit 2) before any step, naming every rank that cannot see rank 0's
# files with its role and host. (The same check passing on a shared run directory is three_hosts.sh.)
set -uo pipefail
work=$(mktemp -d)
NETNS_HOSTS=$work/hosts
trap 'bash "$SPCT_SOURCE_DIR/scripts/netns-hosts.sh" stop "$NETNS_HOSTS"; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
mkdir -p "$work/disk"
bash "$hosts_script" start "$NETNS_HOSTS" 3 --private "$work/disk" || exit $?
# The check waits half of timeouts.startup_s for rank 0's file.
train_on_hosts private run.dir="$work/disk" run.steps=4 timeouts.startup_s=10
code=$?
[[ $code -eq 2 ]] || say_fail "per-host disks: exit $code, want 2"
message=$(grep -m1 "is not one filesystem for every rank" "$work/private.log")
echo "refusal: $message"
for rank in "rank 2 (reward worker) on host [^ ]*-h2" "rank 3 (learner) on host [^ ]*-h2" \
  "rank 4 (learner) on host [^ ]*-h3"; do
  grep -q "$rank" <<<"$message" || say_fail "the refusal does not name $rank"
done
grep -q "rank 1 (rollout" <<<"$message" && say_fail "the refusal names rank 1, which shares host 1's disk"
grep -q "step 1/" "$work/private.log" && say_fail "a step ran on per-host disks"
report
