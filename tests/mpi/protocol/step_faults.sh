#!/usr/bin/env bash
# step_faults.sh <injector.so> <mpiexec> [rotate|all|corrupt|drop|exit]: the step's protocol
# (core/protocol/messages.h) under a fault at each of its messages in turn, on a real 4-rank `spct train` under
# mpirun: MpiBackend on rank 0, the role loops on the rollout worker (1), reward worker (2) and learner (3).
#  1. A clean run with the injector tracing (step_fault_injector.cpp) lists every message of step 1, the second
#     and last step; it must be exactly the message order messages.h writes down for this layout.
#  2. For each of those messages, one run in which the injector corrupts it, drops it or makes its sender exit
#     (rotate: the three in turn, so each message gets one fault and each fault a third of the messages; all:
#     every message gets all three). Each run must end within its deadline, 2 x timeouts.step_s after the fault
#     (the receiver's deadline, then the same again for the stall report and mpirun's teardown), with exit 4
#     (core/exit_codes.h: a rank failed), and its error must name the ranks and roles, and the phase or message.
#     A rank that exits is the exception: mpirun ends the job at once with that rank's own status (1 here).
set -uo pipefail
injector=$1 mpiexec=$2 mode=${3:-rotate}
step_s=6 heartbeat_s=1
limit_s=$((2 * step_s))
# Start-up (4 ranks loading LibTorch) and two steps take about 10 s on a loaded 2-core machine; the outer limit
# only turns a hang into a failure.
outer_s=$((limit_s + 120))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
roles=(orchestrator "rollout worker" "reward worker" learner)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME [VAR=VALUE...]: one job, its output in $work/NAME.log, its exit code in $code and end time in $ended.
run() {
  local name=$1
  shift
  env "$@" SPCT_FAULT_FROM_STEP=1 timeout "$outer_s" "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none \
    -n 4 env LD_PRELOAD="$injector" "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" \
    run.dir="$work/$name" run.name=run run.steps=2 layout.learners=1 sft.warmup_steps=0 rollout.prompts_per_step=1 \
    rollout.group_size=2 timeouts.step_s=$step_s timeouts.heartbeat_s=$heartbeat_s </dev/null >"$work/$name.log" 2>&1
  code=$?
  ended=$(date +%s.%N)
}

# 1. The messages of step 1 (and the checkpoint and shutdown that end it), as the protocol writes them down for
# one worker of each role and one prompt: r<sender>:<type>[.<control kind>]:s<step>:d<receiver>#<n>. Step 1 is
# not a rollout-log step (observe.rollout_log_every 10), so its payloads take the direct route: the request from
# the rollout worker to the reward worker, the group from the rollout worker to the learner.
expected="r0:Control.beginstep:s1:d1#0
r0:Control.beginstep:s1:d2#0
r0:Control.beginstep:s1:d3#0
r0:PromptBatch:s1:d1#0
r1:RewardRequest:s1:d2#0
r1:GroupSummary:s1:d0#0
r2:RewardResult:s1:d0#0
r0:ForwardList:s1:d1#0
r0:PromptBatch:s1:d3#0
r0:RewardResult:s1:d3#0
r1:GeneratedGroup:s1:d3#0
r0:Control.endgeneration:s1:d1#0
r0:Control.endscoring:s1:d2#0
r3:StepReport:s1:d0#0
r0:Control.checkpoint:s2:d3#0
r3:Control.checkpoint:s2:d0#0
r0:Control.shutdown:s2:d1#0
r0:Control.shutdown:s2:d2#0
r0:Control.shutdown:s2:d3#0"
run trace SPCT_FAULT_TRACE="$work/trace.txt"
if [[ $code -ne 0 ]]; then
  tail -30 "$work/trace.log"
  echo "FAIL: the run without a fault exited $code"
  exit 1
fi
traced=$(sort "$work/trace.txt")
if [[ $traced != "$(sort <<<"$expected")" ]]; then
  diff <(sort <<<"$expected") <(echo "$traced")
  echo "FAIL: the messages of step 1 are not the protocol's (< written down, > sent)"
  exit 1
fi
echo "step 1 sends the $(wc -l <<<"$traced") messages messages.h lists"

# 2. A fault at each message.
case $mode in
  rotate) actions=(corrupt drop exit) ;;
  all) actions=(corrupt drop exit) ;;
  corrupt | drop | exit) actions=("$mode") ;;
  *) echo "FAIL: unknown mode $mode"; exit 1 ;;
esac
i=0
while IFS= read -r key; do
  if [[ $mode == rotate ]]; then
    faults_here=("${actions[$((i % 3))]}")
  else
    faults_here=("${actions[@]}")
  fi
  i=$((i + 1))
  [[ $key =~ ^r([0-9]):([A-Za-z]+)(\.[a-z]+)?:s[0-9]+:d([0-9])#[0-9]+$ ]] || { fail "bad key $key"; continue; }
  sender=${BASH_REMATCH[1]} type=${BASH_REMATCH[2]} dest=${BASH_REMATCH[4]}
  for action in "${faults_here[@]}"; do
    name="$action-$i"
    run "$name" SPCT_FAULT="$key:$action"
    log="$work/$name.log"
    injected=$(sed -n "s/^spct-fault: injected $action at $key at \([0-9.]*\)$/\1/p" "$log")
    if [[ -z $injected ]]; then
      fail "$action $key: the fault was never injected (exit $code)"
      continue
    fi
    took=$(awk -v a="$injected" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
    errors=$(grep -E "error|spct: at SIG|mpirun|mpiexec|Process name" "$log")
    echo "--- $action $key: exit $code after $took s"
    ok=1
    [[ $code -eq 124 ]] && { fail "$action $key: the job hung"; ok=0; }
    awk -v t="$took" -v l="$limit_s" 'BEGIN { exit !(t <= l) }' ||
      { fail "$action $key: ended $took s after the fault, past $limit_s s (2 x timeouts.step_s)"; ok=0; }
    if [[ $action == exit ]]; then
      # mpirun ends the job itself as soon as a rank exits, before any spct deadline, and exits with that rank's
      # own status (the injector's 1); spct's 4 comes from ranks that abort the job (docs/architecture.md).
      [[ $code -eq 1 ]] || { fail "$action $key: exit $code, want the exited rank's status 1"; ok=0; }
    else
      [[ $code -eq 4 ]] || { fail "$action $key: exit $code, want 4 (a rank failed)"; ok=0; }
    fi
    case $action in
      corrupt)
        # The receiver names itself, its phase, the sender and the message.
        want="rank $dest \\(${roles[$dest]}\\) failed in phase '[^']+': from rank $sender \\(${roles[$sender]}\\): $type message: payload bytes .* fail their checksum"
        grep -Eq "$want" <<<"$errors" || { fail "$action $key: no error naming receiver, phase, sender and message"; ok=0; }
        ;;
      drop)
        # The rank whose deadline passed first names itself, its role and phase, and the survivors do so at
        # mpirun's SIGTERM with their host; when every rank's deadline passes at once (each waits on the next, a
        # loaded machine lines them up), there are no survivors, and the ranks' own reports are the ones.
        grep -Eq "rank [0-9] \\([a-z ]+(, host [^)]+)?\\) .*phase '[^']+'" <<<"$errors" ||
          { fail "$action $key: no stall report naming a rank, its role and phase"; ok=0; }
        # A worker that takes work from several ranks (a reward worker on the direct route) waits for any rank.
        grep -Eq "\\($type\\) from|the next message \\(any tag\\) from (rank 0|any rank)" <<<"$errors" ||
          { fail "$action $key: the stall report does not name the missing message"; ok=0; }
        ;;
      exit)
        # mpirun names the process; a survivor, at mpirun's SIGTERM, names it with its role as the rank it waits
        # for, and its own phase.
        grep -Eq "Process name: \[\[[0-9]+,[0-9]+\],$sender\]" <<<"$errors" ||
          { fail "$action $key: mpirun does not name rank $sender"; ok=0; }
        grep -Eq "spct: at SIGTERM rank [0-9] \([a-z ]+, host [^)]+\) was in phase '[^']+', waiting .* for .*rank $sender \(${roles[$sender]}, host" <<<"$errors" ||
          { fail "$action $key: no survivor names rank $sender (${roles[$sender]}) as the rank it waits for"; ok=0; }
        ;;
    esac
    ((ok)) || sed 's/^/    /' <<<"$errors" | head -20
  done
done <<<"$traced"
((fails == 0)) || { echo "FAIL: $fails of the faulted runs"; exit 1; }
echo "ok: every message of step 1 under $mode faults"
