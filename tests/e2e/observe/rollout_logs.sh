#!/usr/bin/env bash
# Rollout logs of real runs (observe.rollout_log_every): a colocated GRPO run writes one zstd file per logged
# step that zstdcat reads, with one line per completion whose rewards agree with metrics.jsonl; `spct rollouts`
# prints them (table, --worst/--best, --json) and names what is wrong (no log, absent step, corrupt file); a
# run killed with SIGKILL twice and resumed ends with exactly the uninterrupted run's files (no step duplicated
# or lost, the killed attempt's later files moved to rollouts/discarded/); TensorBoard gets the text samples; an
# asynchronous run with dynamic sampling logs policy versions and dropped groups; and a 5-rank MPI run writes
# plain files within size bounds that stop the log, not the run.
set -uo pipefail
work=$(mktemp -d)
steps=8
source "$SPCT_SOURCE_DIR/tests/e2e/resume/common.sh"
# The full warm start: the policy then solves some prompts, so rewards and advantages vary within groups.
extra=(layout.colocate=true sft.warmup_steps=150 observe.rollout_log_every=1 observe.tensorboard_samples=3)
per_step=32  # rollout.prompts_per_step 8 x rollout.group_size 4, no dynamic sampling

train a || say_fail "run a failed"

# Every step logged, each file a zstd frame of one JSON object per completion; rewards match metrics.jsonl.
python3 - "$work/a" "$steps" "$per_step" <<'PY' || fail=1
import json, math, subprocess, sys
run, steps, per_step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metrics = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
keys = {"step", "group", "prompt_id", "index", "policy_version", "trained", "reward", "rewards", "advantage",
        "length", "truncated", "logprob_sum", "prompt", "completion"}
bad = []
for step in range(steps):
    text = subprocess.run(["zstdcat", f"{run}/rollouts/step-{step:08d}.jsonl.zst"], check=True,
                          capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in text.splitlines()]
    if len(lines) != per_step: bad.append(f"step {step}: {len(lines)} lines")
    if any(set(l) != keys for l in lines): bad.append(f"step {step}: keys {sorted(set(lines[0]))}")
    if any(l["step"] != step for l in lines): bad.append(f"step {step}: a line of another step")
    m = next(m for m in metrics if m["step"] == step)
    mean = sum(l["reward"] for l in lines) / len(lines)
    if not math.isclose(mean, m["reward/mean"], abs_tol=1e-9): bad.append(f"step {step}: reward mean {mean} vs {m['reward/mean']}")
    trunc = sum(l["truncated"] for l in lines) / len(lines)
    if not math.isclose(trunc, m["response/truncation_rate"], abs_tol=1e-9): bad.append(f"step {step}: truncation rate")
    if m.get("rollouts/records") != per_step: bad.append(f"step {step}: rollouts/records metric {m.get('rollouts/records')}")
    for g in {l["group"] for l in lines}:
        group = [l for l in lines if l["group"] == g]
        if len({l["prompt"] for l in group}) != 1: bad.append(f"step {step} group {g}: prompts differ")
        if abs(sum(l["advantage"] for l in group)) > 1e-6: bad.append(f"step {step} group {g}: advantages do not sum to 0")
        if any(l["rewards"].get("exact_match") is None for l in group): bad.append(f"step {step}: no exact_match component")
    if any(l["length"] <= 0 or l["logprob_sum"] > 0 for l in lines): bad.append(f"step {step}: length or logprob_sum")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# The CLI: a table of the worst 5 of step 3, the best 3 as JSON (sorted), the last step by default.
out=$("$SPCT_BINARY" rollouts "$work/a" --step 3 --worst 5 --width 20) || say_fail "spct rollouts --worst failed"
echo "$out" | head -4
[[ $(grep -c '^ *3 ' <<< "$out") -eq 5 ]] || say_fail "--worst 5 printed $(grep -c '^ *3 ' <<< "$out") rows of step 3"
grep -q "completion" <<< "$out" || say_fail "no table header"
"$SPCT_BINARY" rollouts "$work/a" --best 3 --json > "$work/best.json" || say_fail "spct rollouts --json failed"
"$SPCT_BINARY" rollouts "$work/a" --step 3 --worst 5 --json > "$work/worst.json" || say_fail "spct rollouts --worst --json failed"
# --best/--worst pick the highest/lowest rewards of the file (stable: ties in file order), last step by default.
python3 - "$work/a" "$((steps - 1))" <<'PY' || say_fail "--best 3 / --worst 5 --json"
import json, subprocess, sys
run, last = sys.argv[1], int(sys.argv[2])
def lines(step):
    text = subprocess.run(["zstdcat", f"{run}/rollouts/step-{step:08d}.jsonl.zst"], check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in text.splitlines()]
best, worst = json.load(open(f"{run}/../best.json")), json.load(open(f"{run}/../worst.json"))
assert best == sorted(lines(last), key=lambda l: -l["reward"])[:3], best
assert worst == sorted(lines(3), key=lambda l: l["reward"])[:5], worst
assert best[0]["reward"] > min(l["reward"] for l in lines(last)), "rewards do not vary: the test shows nothing"
PY

# Errors: exit 2 naming the problem for an absent step or log, exit 3 naming the file for a corrupt one.
"$SPCT_BINARY" rollouts "$work/a" --step 99 > "$work/err.txt" 2>&1; code=$?
[[ $code -eq 2 ]] && grep -q "step 99 is not logged .*logged steps: 0 1 2 .* 7" "$work/err.txt" ||
  { say_fail "absent step: exit $code"; cat "$work/err.txt"; }
mkdir -p "$work/empty"
"$SPCT_BINARY" rollouts "$work/empty" > "$work/err.txt" 2>&1; code=$?
[[ $code -eq 2 ]] && grep -q "holds no rollout log" "$work/err.txt" || { say_fail "no log: exit $code"; cat "$work/err.txt"; }
mkdir -p "$work/broken/rollouts"
head -c 300 "$work/a/rollouts/step-00000002.jsonl.zst" > "$work/broken/rollouts/step-00000002.jsonl.zst"
"$SPCT_BINARY" rollouts "$work/broken" > "$work/err.txt" 2>&1; code=$?
[[ $code -eq 3 ]] && grep -q "broken/rollouts/step-00000002.jsonl.zst: truncated" "$work/err.txt" ||
  { say_fail "corrupt file: exit $code"; cat "$work/err.txt"; }

# TensorBoard: a text summary per logged step (the tag's bytes are in the event file).
tb=$(ls "$work"/a/tensorboard/events.out.tfevents.*)
[[ $(grep -c -a "rollouts/samples" "$tb") -ge 1 ]] || say_fail "no rollouts/samples text summary in $tb"

# b: killed once 3 and once 5 steps are done (checkpoints every 2 steps, so each kill leaves a logged step past
# the newest checkpoint), then finished.
has_lines() { [[ $(metric_lines b) -ge $1 ]]; }
start b; wait_until has_lines 3 && kill_run b || say_fail "run b did not reach 3 steps"
start b; wait_until has_lines 5 && kill_run b || say_fail "run b did not reach 5 steps"
train b || say_fail "the resumed run b failed"
grep -q "resuming from" "$work/b.log" || say_fail "run b never resumed"
python3 - "$work/a" "$work/b" "$steps" <<'PY' || fail=1
import glob, json, os, subprocess, sys
a, b, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
def text(path): return subprocess.run(["zstdcat", path], check=True, capture_output=True, text=True).stdout
names = sorted(os.path.basename(p) for p in glob.glob(f"{b}/rollouts/*") if os.path.isfile(p))
want = [f"step-{s:08d}.jsonl.zst" for s in range(steps)]
bad = [] if names == want else [f"run b's rollout files are {names}"]
for name in want:
    if os.path.exists(f"{b}/rollouts/{name}") and text(f"{a}/rollouts/{name}") != text(f"{b}/rollouts/{name}"):
        bad.append(f"{name} differs from the uninterrupted run's")
# Every step whose metrics line a resume discarded had its rollout file moved aside, not deleted.
discarded = glob.glob(f"{b}/rollouts/discarded/*")
moved = {int(os.path.basename(p)[5:13]) for p in discarded}
for line in open(f"{b}/metrics.discarded.jsonl"):
    try: step = json.loads(line)["step"]
    except ValueError: continue  # a line the kill cut
    if step not in moved: bad.append(f"step {step} was discarded from metrics but its rollout file was not moved aside")
if not discarded: bad.append("nothing in rollouts/discarded/ (the kills left no step after a checkpoint?)")
for p in discarded:
    if not p.endswith(".tmp") and len(text(p).splitlines()) != 32: bad.append(f"{p}: not a complete step file")
for x in bad: print("FAIL:", x)
sys.exit(1 if bad else 0)
PY
# d: asynchronous mode with dynamic sampling: a step's groups come from the weights one update behind, and the
# groups dynamic sampling dropped (all rewards equal) are logged with trained false, the others counted in
# batch/groups_trained.
train d run.steps=4 checkpoint.every=0 rollout.mode=async grpo.dynamic_sampling=true || say_fail "run d failed"
python3 - "$work/d" <<'PY' || fail=1
import collections, json, subprocess, sys
run = sys.argv[1]
bad, dropped = [], 0
for m in map(json.loads, open(f"{run}/metrics.jsonl")):
    step = m["step"]
    text = subprocess.run(["zstdcat", f"{run}/rollouts/step-{step:08d}.jsonl.zst"], check=True, capture_output=True, text=True).stdout
    groups = collections.defaultdict(list)
    for line in map(json.loads, text.splitlines()): groups[line["group"]].append(line)
    if {l["policy_version"] for g in groups.values() for l in g} != {max(step - 1, 0)}: bad.append(f"step {step}: policy versions")
    trained = [g for g in groups.values() if g[0]["trained"]]
    if len(trained) != m["batch/groups_trained"]: bad.append(f"step {step}: {len(trained)} trained groups logged, metric {m['batch/groups_trained']}")
    if any(len({l["reward"] for l in g}) != 1 or any(l["trained"] for l in g) for g in groups.values() if not g[0]["trained"]):
        bad.append(f"step {step}: a dropped group with varied rewards, or mixed trained flags")
    if m["batch/refill_rounds"] > 0 and len(trained) == len(groups): bad.append(f"step {step}: refilled but no dropped group logged")
    dropped += len(groups) - len(trained)
if dropped == 0: bad.append("dynamic sampling dropped no group in the run: the test shows nothing")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# m: a real 5-rank MPI run (spct train launches mpirun: orchestrator, rollout worker, reward worker, 2 learners),
# plain files every 2 steps, with size bounds small enough to bite: each logged step keeps the records that fit
# in 2500 JSON bytes and the run stops logging at 6000; the run still finishes, warns once per bound, and counts
# every record it left out in rollouts/records_dropped.
train m layout.colocate=false layout.rollout_workers=1 layout.reward_workers=1 layout.learners=2 grpo.minibatches=1 \
  checkpoint.every=0 observe.rollout_log_every=2 observe.rollout_log_compress=none \
  observe.rollout_log_max_file_bytes=2500 observe.rollout_log_max_run_bytes=6000 || say_fail "MPI run m failed"
[[ $(grep -c "rollout_log_max_file_bytes (2500)" "$work/m.log") -eq 1 ]] || say_fail "run m: no single file-bound warning"
[[ $(grep -c "rollout_log_max_run_bytes (6000) reached" "$work/m.log") -eq 1 ]] || say_fail "run m: no single run-bound warning"
python3 - "$work/m" "$steps" "$per_step" <<'PY' || fail=1
import json, os, sys
run, steps, per_step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metrics = {m["step"]: m for m in map(json.loads, open(f"{run}/metrics.jsonl"))}
bad, total = [], 0
if len(metrics) != steps: bad.append(f"{len(metrics)} metrics lines")
for step in range(steps):
    m, path = metrics.get(step, {}), f"{run}/rollouts/step-{step:08d}.jsonl"
    if step % 2:
        if "rollouts/records" in m or os.path.exists(path): bad.append(f"step {step} logged (every 2)")
        continue
    kept, dropped = m.get("rollouts/records"), m.get("rollouts/records_dropped")
    if kept is None or dropped is None or kept + dropped != per_step: bad.append(f"step {step}: {kept} + {dropped} records")
    if kept == 0:
        if os.path.exists(path): bad.append(f"step {step}: a file with no record")
        continue
    data = open(path, "rb").read()
    lines = [json.loads(l) for l in data.decode().splitlines()]
    total += len(data)
    if len(data) > 2500: bad.append(f"step {step}: {len(data)} bytes, over the file bound")
    if len(lines) != kept: bad.append(f"step {step}: {len(lines)} lines, metric says {kept}")
    if any(l["step"] != step or l["length"] <= 0 for l in lines): bad.append(f"step {step}: bad lines")
    if m.get("rollouts/file_bytes") != len(data): bad.append(f"step {step}: rollouts/file_bytes {m.get('rollouts/file_bytes')}")
if total > 6000: bad.append(f"{total} bytes in all, over the run bound")
if metrics.get(steps - 2, {}).get("rollouts/records") != 0: bad.append("the run bound never stopped the log")
if not any(metrics[s].get("rollouts/records", 0) > 0 for s in (0, 2)): bad.append("nothing logged at all")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
"$SPCT_BINARY" rollouts "$work/m" --step 0 --json > "$work/m0.json" || say_fail "spct rollouts on a plain log"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r and all(x["step"]==0 for x in r), r' "$work/m0.json" ||
  say_fail "spct rollouts --json of run m's step 0"
report
