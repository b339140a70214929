#!/usr/bin/env bash
# LoRA from the config, end to end on 5 real MPI ranks (orchestrator, rollout, reward, 2 learners), against
# transformers + peft (tests/reference/lora_peft_reference.py):
#   1. transformers makes a random tiny Qwen2 model directory; `spct train` trains rank-4 adapters on it
#      (model.lora.*) with run.verify_learner_sync (the learners' digests cover the adapters: a step whose
#      learners disagree stops the run);
#   2. the same run stopped at step 2 and run again to step 4 resumes from its checkpoint (adapters and their
#      AdamW state) and ends bit-identical to the uninterrupted run: same adapter bytes, same metrics;
#   3. `spct export` writes the PEFT adapter and the merged model; peft loads base + adapter, and its logits equal
#      transformers' on the merged model, and spct's log-probs (generation on the merged model) equal peft's;
#   4. the base is frozen: the run's model/ is bit-identical to the starting model's weights;
#   5. the weight sync carries the adapters alone: sync/weight_bytes is the adapter file's tensor bytes, against
#      the whole model's for a full-training run of the same model (the ratio is printed);
#   6. a colocated LoRA run (one process, no weight sync) trains and exports its adapter with the base untouched;
#   7. a target module the model lacks is refused with exit 2, naming the valid ones, and so are exports of a step
#      the run lacks, without an output, or of a full-training run; model.lora written nested in
#      YAML is read as the dotted keys, a misspelt nested key is named with its file and line (exit 2), and a LoRA
#      run's config.yaml reloads.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
python=${SPCT_PYTHON:-python3}
reference="$SPCT_SOURCE_DIR/tests/reference/lora_peft_reference.py"
timeout 240 "$python" "$reference" make "$work/base" > "$work/make.json" || { echo "FAIL: reference make"; exit 1; }

# The random model's completions rarely hold the sum, so the reward is whether they hold a digit 0-4: groups then
# differ in reward and the adapters get gradients from the first step.
common=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" sft.warmup_steps=0 model.path="$work/base"
        "reward.functions=[regex]" "reward.regex=[0-4]"
        model.lora.rank=4 model.lora.alpha=8 "model.lora.target_modules=[q_proj, v_proj, down_proj]"
        rollout.prompts_per_step=8 rollout.group_size=4 grpo.lr=0.01 checkpoint.every=2 run.verify_learner_sync=true)
same_tensors() {  # same_tensors A.safetensors B.safetensors: the same names and values (headers may differ)
  "$python" - "$1" "$2" <<'PY'
import sys, torch
from safetensors.torch import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
sys.exit(0 if a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a) else 1)
PY
}
train() {  # train NAME STEPS [KEY=VALUE...]
  timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name="$1" run.steps="$2" "${@:3}" >> "$work/$1.log" 2>&1 ||
    { tail -20 "$work/$1.log"; say_fail "run $1 to step $2 failed"; }
}
train full 4
train part 2
train part 4
grep -q "resum" "$work/part.log" || say_fail "the second run of 'part' did not say it resumed"
for name in full part; do
  [[ -s "$work/$name/adapter/adapter_model.safetensors" ]] || say_fail "$name: no adapter exported"
  same_tensors "$work/base/model.safetensors" "$work/$name/model/model.safetensors" || say_fail "$name: the base changed"
done
cmp -s "$work/full/adapter/adapter_model.safetensors" "$work/part/adapter/adapter_model.safetensors" ||
  say_fail "the resumed run's adapter differs from the uninterrupted run's"
"$python" - "$work/full/metrics.jsonl" "$work/part/metrics.jsonl" <<'PY' || fail=1
import json, sys
strip = lambda m: {k: v for k, v in m.items() if not k.startswith(("time/", "perf/"))}
a, b = ([strip(json.loads(line)) for line in open(path)] for path in sys.argv[1:])
bad = []
if len(a) != 4: bad.append(f"{len(a)} metric lines, want 4")
if any(m.get("learner/weights_in_sync") != 1 for m in a): bad.append("learner weights not verified in sync")
if a != b: bad.append("the resumed run's metrics differ from the uninterrupted run's")
for f in bad: print("FAIL:", f)
sys.exit(1 if bad else 0)
PY

# 5. Weight-sync bytes: the adapters' against a full-training run's (every parameter).
train fullsync 1 model.lora.rank=0
"$python" - "$work/full/metrics.jsonl" "$work/fullsync/metrics.jsonl" "$work/full/adapter/adapter_model.safetensors" \
  "$work/base/model.safetensors" <<'PY' || fail=1
import json, struct, sys
def tensor_bytes(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return sum(v["data_offsets"][1] - v["data_offsets"][0] for k, v in header.items() if k != "__metadata__")
lora = [json.loads(line)["sync/weight_bytes"] for line in open(sys.argv[1])]
full = [json.loads(line)["sync/weight_bytes"] for line in open(sys.argv[2])]
adapter, model = tensor_bytes(sys.argv[3]), tensor_bytes(sys.argv[4])
print(f"weight sync per step: LoRA {lora[0]:.0f} bytes, full {full[0]:.0f} bytes, ratio {lora[0] / full[0]:.4f} "
      f"(adapter file {adapter} bytes, model file {model} bytes)")
bad = []
if any(b != adapter for b in lora): bad.append(f"LoRA sync bytes {set(lora)} are not the adapter's {adapter}")
if any(b != model for b in full): bad.append(f"full sync bytes {set(full)} are not the model's {model}")
for f in bad: print("FAIL:", f)
sys.exit(1 if bad else 0)
PY

# 6. Colocated: every role in one process, the policy's adapters used as they are.
timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name=colocated run.steps=2 layout.colocate=true \
  > "$work/colocated.log" 2>&1 || { tail -20 "$work/colocated.log"; say_fail "the colocated LoRA run failed"; }
[[ -s "$work/colocated/adapter/adapter_model.safetensors" ]] || say_fail "colocated: no adapter exported"
same_tensors "$work/base/model.safetensors" "$work/colocated/model/model.safetensors" ||
  say_fail "colocated: the base changed"
same_tensors "$work/full/adapter/adapter_model.safetensors" "$work/colocated/adapter/adapter_model.safetensors" &&
  say_fail "colocated: the adapter is the 4-step MPI run's (it should have trained 2 steps of its own)"

"$SPCT_BINARY" export "$work/full" --out "$work/adapter" --merged "$work/merged" > "$work/export.log" 2>&1 ||
  { cat "$work/export.log"; say_fail "spct export failed"; }
"$SPCT_BINARY" generate "$work/merged" --tokenizer char --prompt "3+4=" --max-new-tokens 8 --json \
  > "$work/generate.json" 2> "$work/generate.err" || { cat "$work/generate.err"; say_fail "spct generate failed"; }
"$python" -c 'import json,sys; g=json.load(open(sys.argv[1])); json.dump({"input_ids": g["prompt_ids"] + g["ids"], "logprobs": g["logprobs"]}, sys.stdout)' \
  "$work/generate.json" > "$work/request.json" || say_fail "no generation to compare"
timeout 240 "$python" "$reference" compare "$work/base" "$work/adapter" "$work/merged" < "$work/request.json" \
  > "$work/compare.json" || say_fail "reference compare failed"
"$python" - "$work/compare.json" <<'PY' || fail=1
import json, sys
c = json.load(open(sys.argv[1]))
print(f"peft vs merged logits {c['peft_vs_merged']:.2e}; spct vs peft log-probs {c['spct_vs_peft']:.2e}; "
      f"adapter effect {c['adapter_effect']:.2e}; {c['loaded_adapters']} adapters loaded")
bad = []
if c["loaded_adapters"] != 6: bad.append("peft attached " + str(c["loaded_adapters"]) + " adapters, want 6 (2 layers x 3)")
if not c["adapter_effect"] > 1e-3: bad.append("the trained adapter changes nothing: the comparison would be vacuous")
if not c["peft_vs_merged"] < 1e-5: bad.append("peft's base + adapter and the merged model disagree")
if not c["spct_vs_peft"] < 1e-4: bad.append("spct's log-probs and peft's disagree")
for f in bad: print("FAIL:", f)
sys.exit(1 if bad else 0)
PY

"$SPCT_BINARY" train "${common[@]}" run.name=bad run.steps=1 "model.lora.target_modules=[qkv_proj]" > "$work/bad.log" 2>&1
code=$?
[[ $code -eq 2 ]] || say_fail "an unknown target module exited $code, want 2"
grep -q "'qkv_proj' matches no projection of the model (valid: down_proj, gate_proj, k_proj, lm_head, o_proj, q_proj, up_proj, v_proj)" "$work/bad.log" ||
  { cat "$work/bad.log"; say_fail "the unknown target module's message"; }
# spct export refuses what it cannot do with exit 2 and says why.
export_refused() {  # export_refused MESSAGE ARGS...
  "$SPCT_BINARY" export "${@:2}" > "$work/refused.txt" 2>&1
  local code=$?
  [[ $code -eq 2 ]] && grep -qF "$1" "$work/refused.txt" || { cat "$work/refused.txt"; say_fail "export ${*:2}: exit $code"; }
}
export_refused "has no checkpoint of that step (steps: " "$work/full" --step 3 --out "$work/x"
export_refused "give --out DIR, --merged DIR, or both" "$work/full"
export_refused "holds no LoRA adapter (the run trained the full model" "$work/fullsync" --out "$work/x"

printf 'model:\n  lora:\n    rank: 4\n    target_modules: [q_proj, o_proj]\n' > "$work/nested.yaml"
"$SPCT_BINARY" config show "$work/nested.yaml" > "$work/show.txt" 2>&1 || say_fail "config show of a nested model.lora"
grep -Eq "rank: 4 +# .*nested.yaml:3" "$work/show.txt" && grep -Eq "o_proj.*nested.yaml:4" "$work/show.txt" ||
  { cat "$work/show.txt"; say_fail "nested model.lora keys not read from the file"; }
printf 'model:\n  lora:\n    rnak: 4\n' > "$work/typo.yaml"
"$SPCT_BINARY" config validate "$work/typo.yaml" > "$work/typo.txt" 2>&1
code=$?
[[ $code -eq 2 ]] && grep -q "typo.yaml:3.*model.lora.rnak" "$work/typo.txt" ||
  { cat "$work/typo.txt"; say_fail "a misspelt nested key (exit $code)"; }
"$SPCT_BINARY" config validate "$work/full/config.yaml" > "$work/validate.txt" 2>&1 ||
  { cat "$work/validate.txt"; say_fail "the LoRA run's config.yaml does not reload"; }
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
