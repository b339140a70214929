#!/usr/bin/env bash
# What the rewards said, in the rollout log of real runs: a tiny GRM is trained here, then policy GRPO on `add`
# runs over real MPI ranks (orchestrator, rollout worker, reward worker holding the GRM and starting a Python
# `command` reward that returns info, learner) with reward.functions [grm, exact_match, math=command:...]. Every
# log line then carries the critiques of its chunk (each labelling the completion as the GRM saw it, with the
# score it gave; the line's grm reward is their vote) and the plugin's info; `spct rollouts` shows excerpts of
# both and --critiques the whole texts. A colocated run with small observe.rollout_log_critique_chars and
# rollout_log_info_chars cuts both, with markers.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
run() {  # run NAME TIMEOUT ARGS...: runs spct, shows its log tail on failure
  local name=$1 limit=$2
  shift 2
  timeout -k 10 "$limit" "$SPCT_BINARY" "$@" > "$work/$name.log" 2>&1 || {
    tail -30 "$work/$name.log"
    echo "FAIL: $name failed"
    exit 1
  }
}
grm_keys=(grm.template=compact grm.max_new_tokens=16 'grm.stop=["}"]')
functions="[grm, exact_match, \"math=command:python3 $SPCT_SOURCE_DIR/examples/rewards/math_answer.py\"]"

# 1. A tiny GRM (as tests/e2e/eval/grm_reward_and_eval.sh).
run grm 300 train run.dir="$work" run.name=grm layout.colocate=true run.steps=1 data.task=preference \
  data.preference_task=add data.preference_responses=2 'reward.functions=[grm_correct]' "${grm_keys[@]}" \
  sft.warmup_steps=40 rollout.group_size=4 rollout.prompts_per_step=4 rollout.max_new_tokens=16 \
  'rollout.stop=["}"]' grpo.beta=0.08
# 2. Policy GRPO with it over real MPI ranks: 4 prompts x 8 completions, chunks of 2 responses x 2 critiques.
run policy 400 train "$SPCT_SOURCE_DIR/configs/policy_grm.yaml" run.dir="$work" run.name=policy run.steps=2 \
  grm.model_path="$work/grm/model" sft.warmup_steps=20 rollout.prompts_per_step=4 grm.samples=2 \
  observe.rollout_log_every=1 "reward.functions=$functions"

python3 - "$work/policy" "$SPCT_SOURCE_DIR/examples/rewards" <<'PY' || fail=1
import json, math, subprocess, sys
run = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from math_answer import extract
bad, voted_lines = [], 0
for step in range(2):
    text = subprocess.run(["zstdcat", f"{run}/rollouts/step-{step:08d}.jsonl.zst"], check=True, capture_output=True,
                          text=True).stdout
    lines = [json.loads(l) for l in text.splitlines()]
    if len(lines) != 32: bad.append(f"step {step}: {len(lines)} lines, want 32")
    for l in lines:
        where = f"step {step} group {l['group']} #{l['index']}"
        critiques, info = l.get("critiques", []), l.get("info", {})
        if len(critiques) != 2: bad.append(f"{where}: {len(critiques)} critiques, want the 2 of its chunk")
        if {c["sample"] for c in critiques} != {0, 1}: bad.append(f"{where}: samples {[c['sample'] for c in critiques]}")
        for c in critiques:
            if c["response"] not in (1, 2) or not c["voted"] or not isinstance(c["text"], str):
                bad.append(f"{where}: critique {c}")
            if "characters cut" in c["text"]: bad.append(f"{where}: a short critique was cut")
        # No meta RM: every critique votes, and the grm reward is the mean of the scores they gave this
        # completion, scaled from 1..10 to [0, 1] (where every one of them parsed).
        scores = [c["score"] for c in critiques]
        if critiques and all(s is not None for s in scores):
            voted_lines += 1
            want = (sum(scores) / len(scores) - 1) / 9
            if not math.isclose(l["rewards"]["grm"], want, abs_tol=1e-9):
                bad.append(f"{where}: grm reward {l['rewards']['grm']}, its critiques' scores {scores} give {want}")
        # The plugin's info for this very completion: what its extract() finds in the logged text.
        if info.get("math") != {"extracted": extract(l["completion"])}:
            bad.append(f"{where}: info {info} for the completion {l['completion']!r}")
for b in bad[:20]: print("FAIL:", b)
# A GRM this small often writes no parsable score (the lines then show what it wrote instead).
print(f"{voted_lines} lines checked against their critiques' vote")
sys.exit(1 if bad else 0)
PY

# spct rollouts: one info and two critique excerpts under every row; --critiques prints each text whole.
"$SPCT_BINARY" rollouts "$work/policy" --step 1 --width 20 > "$work/table.txt" || say_fail "spct rollouts failed"
head -6 "$work/table.txt"
rows=$(grep -c '^ *1 ' "$work/table.txt")
[[ $rows -eq 32 ]] || say_fail "$rows rows of step 1"
[[ $(grep -c '^ *info math: {"extracted":' "$work/table.txt") -eq 32 ]] || say_fail "not one info line per row"
[[ $(grep -cE '^ *critique [01]( \(chunk [0-3]\))?: Response [12] scored [0-9?]+, voted:' "$work/table.txt") -eq 64 ]] ||
  say_fail "not two critique lines per row"
"$SPCT_BINARY" rollouts "$work/policy" --step 1 --worst 3 --critiques > "$work/full.txt" ||
  say_fail "spct rollouts --critiques failed"
"$SPCT_BINARY" rollouts "$work/policy" --step 1 --worst 3 --json > "$work/worst.json" || say_fail "--json failed"
python3 - "$work/full.txt" "$work/worst.json" <<'PY' || fail=1
import json, sys
full, worst = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
assert len(worst) == 3 and all(len(r["critiques"]) == 2 for r in worst), worst
for r in worst:
    for c in r["critiques"]:
        block = "".join(" " * 12 + line + "\n" for line in c["text"].split("\n"))
        assert block in full, f"critique text of group {r['group']} #{r['index']} not printed whole:\n{c['text']}"
        assert f"critique {c['sample']}: Response {c['response']} scored" in full
print("--critiques prints every critique of the worst 3 whole")
PY

# 3. Small bounds, colocated: 8 characters of critique per line (2 critiques: 4 each), 10 of info.
run cut 300 train "$SPCT_SOURCE_DIR/configs/policy_grm.yaml" run.dir="$work" run.name=cut run.steps=1 \
  layout.colocate=true grm.model_path="$work/grm/model" sft.warmup_steps=20 rollout.prompts_per_step=2 \
  grm.samples=2 observe.rollout_log_every=1 observe.rollout_log_critique_chars=8 observe.rollout_log_info_chars=10 \
  "reward.functions=$functions"
python3 - "$work/cut" <<'PY' || fail=1
import json, re, subprocess, sys
text = subprocess.run(["zstdcat", f"{sys.argv[1]}/rollouts/step-00000000.jsonl.zst"], check=True, capture_output=True,
                      text=True).stdout
lines = [json.loads(l) for l in text.splitlines()]
cut_critiques = 0
for l in lines:
    for c in l["critiques"]:
        m = re.fullmatch(r"(.{2})\n\[\.\.\. (\d+) characters cut \.\.\.\]\n(.{2})", c["text"], re.S)
        if m: cut_critiques += 1
        else: assert len(c["text"]) <= 4, f"critique text over the bound: {c['text']!r}"
    # {"extracted":...} is always longer than 10 characters: its first 10 and a marker, a string (no longer JSON).
    info = l["info"]["math"]
    assert isinstance(info, str) and re.fullmatch(r'\{"extracte \[\.\.\. \d+ characters cut\]', info), info
assert cut_critiques > 0, "no critique was cut"
print(f"{len(lines)} lines: {cut_critiques} critiques and every info cut with a marker")
PY

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
