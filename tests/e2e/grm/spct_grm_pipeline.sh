#!/usr/bin/env bash
# SPCT for a tiny GRM end to end, with the shipped configs made smaller: rejective fine-tuning (run.job grm_rft,
# one process) -> rule-based online RL (run.job grpo on preference prompts with grm_correct, 4 real MPI ranks)
# -> the meta RM (run.job meta_rm). Checks that each stage exports a model that loads, that the accuracy metrics
# exist and are proportions, and that a GRM job without preference data is refused before anything runs.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
run() {  # run NAME TIMEOUT ARGS...: runs spct, shows its log tail on failure
  local name=$1 limit=$2
  shift 2
  timeout "$limit" "$SPCT_BINARY" "$@" > "$work/$name.log" 2>&1 || {
    tail -30 "$work/$name.log"
    echo "FAIL: $name failed"
    exit 1
  }
}
small=(data.eval_size=64 run.threads=1)

# 1. Rejective fine-tuning from a fresh model with the oracle warm start.
run rft 300 train "$SPCT_SOURCE_DIR/configs/grm_rft.yaml" run.dir="$work" run.name=rft "${small[@]}" \
  grm.rft_rounds=2 grm.rft_items=64 grm.rft_sft_steps=10 sft.warmup_steps=30
# 2. GRPO on the RFT GRM, over real MPI ranks (orchestrator, rollout, reward, learner).
run rl 300 train "$SPCT_SOURCE_DIR/configs/grm_rl.yaml" run.dir="$work" run.name=rl "${small[@]}" \
  model.path="$work/rft/model" sft.warmup_steps=0 run.steps=3 rollout.prompts_per_step=8 run.threads=0
# 3. The meta RM on the RL GRM's critiques.
run meta 300 train "$SPCT_SOURCE_DIR/configs/meta_rm.yaml" run.dir="$work" run.name=meta "${small[@]}" \
  grm.model_path="$work/rl/model" grm.meta_items=32 grm.meta_train_steps=20 grm.samples=2

# The exported GRMs load and write a critique.
for stage in rft rl; do
  "$SPCT_BINARY" generate "$work/$stage/model" --tokenizer char --prompt "Q:3+4= R1:7 R2:8 S:" --max-new-tokens 12 \
    > "$work/generate_$stage.log" 2>&1 || { echo "FAIL: the $stage GRM does not load"; cat "$work/generate_$stage.log"; fail=1; }
done

python3 - "$work" <<'PY' || fail=1
import json, struct, sys
work = sys.argv[1]
fail = []
def lines(stage):
    return [json.loads(l) for l in open(f"{work}/{stage}/metrics.jsonl")]
def proportion(m, key, where):
    if not 0 <= m.get(key, -1) <= 1: fail.append(f"{where}: {key} = {m.get(key)} is not a proportion")

rft = lines("rft")
if [m["step"] for m in rft] != [0, 1, 2]: fail.append(f"rft: steps {[m['step'] for m in rft]}, want 0 1 2")
for m in rft:
    proportion(m, "grm/eval_accuracy", f"rft step {m['step']}")
    if m.get("grm/eval_items") != 64: fail.append(f"rft: grm/eval_items {m.get('grm/eval_items')}")
for m in rft[1:]:
    for key in ("rft/kept_items", "rft/too_easy", "rft/samples", "rft/examples", "rft/parse_failures"):
        if key not in m: fail.append(f"rft step {m['step']}: no {key}")
    if m.get("rft/samples") != 64 * 3: fail.append(f"rft: {m.get('rft/samples')} samples, want 192")
    if m.get("rft/kept_items", 0) + m.get("rft/too_easy", 0) > 64: fail.append("rft: kept + too easy > items")
    proportion(m, "rft/sample_accuracy", "rft")
rl = lines("rl")
if len(rl) != 3: fail.append(f"rl: {len(rl)} metric lines, want 3")
for m in rl:
    if not -1 <= m.get("reward/grm_correct/mean", -2) <= 1: fail.append("rl: reward/grm_correct/mean missing")
    proportion(m, "reward/grm_parsed/mean", "rl")
meta = lines("meta")
if len(meta) != 1: fail.append(f"meta: {len(meta)} metric lines, want 1")
for key in ("meta/eval_accuracy", "meta/eval_auc", "meta/train_label_rate", "grm/eval_accuracy"):
    proportion(meta[0], key, "meta")
if meta[0].get("meta/train_critiques") != 64: fail.append(f"meta: {meta[0].get('meta/train_critiques')} critiques")
# What guided voting keeps (2 critiques per item, k_meta 1) and the items with disagreeing critiques it trains on.
for key in ("meta/eval_kept_label_rate", "meta/eval_within_item_auc"):
    proportion(meta[0], key, "meta")
if meta[0].get("meta/eval_keep") != 1: fail.append(f"meta: keeps {meta[0].get('meta/eval_keep')} of 2, want 1")
if not 0 <= meta[0].get("meta/train_mixed_items", -1) <= 32:
    fail.append(f"meta: {meta[0].get('meta/train_mixed_items')} mixed training items of 32")
if not 0 <= meta[0].get("meta/eval_mixed_items", -1) <= 64:
    fail.append(f"meta: {meta[0].get('meta/eval_mixed_items')} mixed held-out items of 64")
for stage in ("rft", "rl", "meta"):
    status = json.load(open(f"{work}/{stage}/status.json"))
    if status.get("state") != "finished": fail.append(f"{stage}: status {status}")

# The meta RM's files: a sequence classifier whose weights hold the score head next to the backbone.
config = json.load(open(f"{work}/meta/model/config.json"))
if not config["architectures"][0].endswith("ForSequenceClassification") or config.get("num_labels") != 1:
    fail.append(f"meta RM config.json: {config.get('architectures')}, num_labels {config.get('num_labels')}")
with open(f"{work}/meta/model/model.safetensors", "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
if header.get("score.weight", {}).get("shape") != [1, config["hidden_size"]]:
    fail.append(f"meta RM score.weight: {header.get('score.weight')}")
if "lm_head.weight" in header: fail.append("meta RM has an lm_head")
if not any(k.startswith("model.layers.") for k in header): fail.append("meta RM has no backbone layers")
for f_ in fail: print("FAIL:", f_)
sys.exit(1 if fail else 0)
PY

# A GRM job without preference data is refused up front, naming the keys.
"$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grm_rft.yaml" run.dir="$work" run.name=bad data.task=add \
  > "$work/bad.log" 2>&1
code=$?
[[ $code == 2 ]] || { echo "FAIL: a grm_rft run on the add task exited $code, want 2"; fail=1; }
grep -q "data.task preference" "$work/bad.log" || { echo "FAIL: no message naming data.task"; cat "$work/bad.log"; fail=1; }
[[ ! -e "$work/bad" ]] || { echo "FAIL: the refused run created its directory"; fail=1; }

[[ $fail == 0 ]] && echo "PASS"
exit $fail
