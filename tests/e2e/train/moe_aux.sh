#!/usr/bin/env bash
# A Qwen3-MoE policy from model.path trains on 5 real MPI ranks (2 learners) with the router load-balancing loss
# added: transformers makes a random tiny Qwen3-MoE (tests/reference/hf_model_reference.py moe-aux; its
# config.json has router_aux_loss_coef 0.01), and every step's metrics carry moe/aux_loss (in (0, E]: about k = 2
# for a balanced router, E = 8 at most), the coefficient taken from config.json (model.moe.aux_loss_coef -1,
# the default) or from the config, each expert's share of the routed slots (summing to 1 over both learners'
# tokens) and the busiest and idlest expert's load relative to a balanced one.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
python=${SPCT_PYTHON:-python3}
echo '{"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 1]], "position_ids": [[0, 1, 2]]}' |
  timeout 240 "$python" "$SPCT_SOURCE_DIR/tests/reference/hf_model_reference.py" moe-aux "$work/base" > /dev/null ||
  { echo "FAIL: reference moe-aux"; exit 1; }
common=("$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" sft.warmup_steps=0 model.path="$work/base"
        rollout.prompts_per_step=8 rollout.group_size=4 run.steps=2 run.verify_learner_sync=true)
check() {  # check NAME WANT_COEF
  "$python" - "$work/$1/metrics.jsonl" "$2" <<'PY' || fail=1
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
want = float(sys.argv[2])
bad = []
if len(lines) != 2: bad.append(f"{len(lines)} metric lines, want 2")
for m in lines:
    shares = [v for k, v in m.items() if k.startswith("moe/load_share/")]
    print(f"step {m.get('step')}: moe/aux_loss {m.get('moe/aux_loss')}, coef {m.get('moe/aux_loss_coef')}, "
          f"max_load {m.get('moe/max_load')}, min_load {m.get('moe/min_load')}, {len(shares)} experts")
    if not 0 < m.get("moe/aux_loss", -1) <= 8: bad.append("moe/aux_loss outside (0, E = 8]")
    if m.get("moe/aux_loss_coef") != want: bad.append(f"moe/aux_loss_coef {m.get('moe/aux_loss_coef')}, want {want}")
    if len(shares) != 8 or abs(sum(shares) - 1) > 1e-9: bad.append(f"load shares {shares} do not cover 8 experts")
    if not m.get("moe/max_load", 0) >= 1 >= m.get("moe/min_load", 2): bad.append("max_load/min_load around 1")
    if m.get("learner/weights_in_sync") != 1: bad.append("learner weights not verified in sync")
for f in bad: print("FAIL:", f)
sys.exit(1 if bad else 0)
PY
}
timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name=fromjson > "$work/fromjson.log" 2>&1 ||
  { tail -20 "$work/fromjson.log"; say_fail "the MoE run failed"; }
check fromjson 0.01
timeout 300 "$SPCT_BINARY" train "${common[@]}" run.name=set model.moe.aux_loss_coef=0.5 > "$work/set.log" 2>&1 ||
  { tail -20 "$work/set.log"; say_fail "the MoE run with model.moe.aux_loss_coef failed"; }
check set 0.5
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
