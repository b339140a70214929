#!/usr/bin/env bash
# A status port another process holds: spct train ends at once with exit 2 and a message naming
# observe.status_port and the port, before it starts any MPI rank (self-launched job) or warms up a policy
# (colocated job), and it creates no run directory.
set -uo pipefail
work=$(mktemp -d)
holder=
trap '[[ -n "$holder" ]] && kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT
fail=0

# Hold a port: listen on 127.0.0.1 with a kernel-chosen port and write it down.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(600)
' "$work/port" &
holder=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
port=$(cat "$work/port")
[[ -n "$port" ]] || { echo "FAIL: the port holder did not start"; exit 1; }

check_refused() {  # check_refused NAME OVERRIDES...: the run is refused with exit 2 and leaves nothing behind
  local name=$1; shift
  local start=$SECONDS
  "$SPCT_BINARY" train run.dir="$work/runs" run.name="$name" observe.status_port="$port" "$@" \
    > "$work/$name.log" 2>&1
  local code=$?
  [[ $code -eq 2 ]] || { echo "FAIL: $name: exit $code, want 2"; fail=1; }
  grep -q "observe.status_port" "$work/$name.log" && grep -q "127.0.0.1:$port" "$work/$name.log" \
    || { echo "FAIL: $name: the message names neither observe.status_port nor the port"; fail=1; }
  ! grep -q "starting [0-9]* MPI ranks" "$work/$name.log" || { echo "FAIL: $name: MPI ranks were started"; fail=1; }
  [[ ! -e "$work/runs/$name" ]] || { echo "FAIL: $name: a run directory was created"; fail=1; }
  echo "$name: exit $code after $((SECONDS - start)) s: $(grep -m1 'observe.status_port' "$work/$name.log")"
  [[ $fail -eq 0 ]] || cat "$work/$name.log"
}

check_refused mpi layout.colocate=false layout.rollout_workers=1 layout.reward_workers=1 layout.learners=2 \
  grpo.minibatches=1 rollout.prompts_per_step=8 sft.warmup_steps=5
check_refused colocated layout.colocate=true sft.warmup_steps=5

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
