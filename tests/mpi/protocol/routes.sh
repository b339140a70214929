#!/usr/bin/env bash
# routes.sh <injector.so> <mpiexec> <sync|async>: rank 0 off the data path (core/protocol/messages.h, steps 2-5)
# changes where the bytes go, never the result. The same seed runs twice on 7 real ranks under mpirun
# (orchestrator, 2 rollout workers, 2 reward workers, 2 learners) with dynamic sampling on:
#   direct  observe.rollout_log_every 0: every step's payloads take the direct route (requests from the rollout
#           workers to the reward workers, groups from the rollout workers to the learners)
#   via     observe.rollout_log_every 1: every step is a rollout-log step, so every group comes to rank 0 (the
#           route of old: rank 0 sends the requests and the learners' groups)
# Both must give byte-identical final weights and identical metrics.jsonl (timings, and the rollout log's own
# figures, aside). The injector (step_fault_injector.cpp) traces every protocol message sent, which shows the
# route each run took: in the direct run rank 0 sends no RewardRequest, and receives (and passes on) groups only
# when a checkpoint saves the pending batch (asynchronous mode, checkpoint.every 2); in the via run the rollout
# workers send none of either to anyone but rank 0. KEEP=1 keeps the runs' directory (printed by bash -x) to look at.
set -uo pipefail
injector=$1 mpiexec=$2 mode=$3
work=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME [overrides...]
run() {
  local name=$1
  shift
  mkdir -p "$work/trace-$name"
  timeout 600 "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none -n 7 \
    env LD_PRELOAD="$injector" SPCT_FAULT_TRACE="$work/trace-$name/trace.txt" \
    "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name="$name" run.steps=6 \
    layout.rollout_workers=2 layout.reward_workers=2 layout.learners=2 run.verify_learner_sync=true \
    sft.warmup_steps=150 rollout.prompts_per_step=8 grpo.dynamic_sampling=true \
    rollout.mode="$mode" checkpoint.every=2 timeouts.step_s=120 "$@" </dev/null >"$work/$name.log" 2>&1
  local code=$?
  ((code == 0)) || { tail -30 "$work/$name.log"; fail "the $name run exited $code"; }
}
run direct observe.rollout_log_every=0
run via observe.rollout_log_every=1
((fails == 0)) || { echo "0 passed, 1 failed"; exit 1; }

cmp -s "$work/direct/model/model.safetensors" "$work/via/model/model.safetensors" ||
  fail "the final weights of the direct route differ from those of the route via rank 0"
python3 - "$work" "$mode" <<'PY' || fails=$((fails + 1))
import collections, json, sys
work, mode = sys.argv[1:]
strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/", "rollouts/"))}
runs = {name: [json.loads(line) for line in open(f"{work}/{name}/metrics.jsonl")] for name in ("direct", "via")}
fail = []
if len(runs["direct"]) != 6: fail.append(f"expected 6 steps, got {len(runs['direct'])}")
a, b = ([strip(m) for m in runs[name]] for name in ("direct", "via"))
if a != b:
    step = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    keys = sorted(k for k in set(a[step]) | set(b[step]) if a[step].get(k) != b[step].get(k)) if step < min(len(a), len(b)) else []
    fail.append(f"metrics differ from step {step}: {keys[:8]}")
if not any(m.get("batch/refill_rounds", 0) > 0 or m.get("reward/zero_std_groups", 0) > 0 for m in runs["direct"]):
    fail.append("dynamic sampling never dropped a group: the test does not exercise the drop of kept groups")

def sends(name):
    # r<sender>:<type>:s<step>:d<dest>#n -> counts of (sender, type, dest)
    count = collections.Counter()
    for line in open(f"{work}/trace-{name}/trace.txt"):
        sender, kind, _, dest = line.strip().split("#")[0].split(":")
        count[(int(sender[1:]), kind, int(dest[1:]))] += 1
    return count

direct, via = sends("direct"), sends("via")
of = lambda count, pred: sum(n for key, n in count.items() if pred(*key))
# Direct: rank 0 sends no request, and receives groups (and sends them on to the learners) only when a
# checkpoint saves the pending batch.
if of(direct, lambda s, t, d: s == 0 and t == "RewardRequest"):
    fail.append("direct route: rank 0 sent RewardRequests")
fetched = of(direct, lambda s, t, d: t == "GeneratedGroup" and d == 0)
if of(direct, lambda s, t, d: s == 0 and t == "GeneratedGroup") > fetched:
    fail.append("direct route: rank 0 sent groups to the learners that no checkpoint fetched")
if mode == "sync" and fetched: fail.append(f"direct route, sync mode: {fetched} groups came to rank 0")
if mode == "async" and not fetched: fail.append("direct route, async mode: no checkpoint fetched its pending groups")
if not of(direct, lambda s, t, d: s != 0 and t == "GeneratedGroup" and d in (5, 6)):
    fail.append("direct route: no group went from a rollout worker to a learner")
if not of(direct, lambda s, t, d: s in (1, 2) and t == "RewardRequest" and d in (3, 4)):
    fail.append("direct route: no request went from a rollout worker to a reward worker")
if not of(direct, lambda s, t, d: s != 0 and t == "RewardRequest" and d == 4):
    fail.append("direct route: the second reward worker got no request")
# Via rank 0: every payload passes rank 0.
if of(via, lambda s, t, d: s != 0 and t in ("RewardRequest", "GeneratedGroup") and d != 0) or \
        of(via, lambda s, t, d: t in ("GroupSummary", "ForwardList")):
    fail.append("route via rank 0: a payload went around rank 0")
requests = of(via, lambda s, t, d: s == 0 and t == "RewardRequest")
if requests != of(direct, lambda s, t, d: t == "RewardRequest"):
    fail.append("the two routes scored a different number of groups")
print(f"{mode}: {requests} groups scored; direct route: {fetched} fetched by checkpoints, "
      f"{of(direct, lambda s, t, d: t == 'GeneratedGroup' and d in (5, 6))} sent to learners by rollout workers")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
((fails == 0)) && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
