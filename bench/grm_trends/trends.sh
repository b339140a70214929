#!/usr/bin/env bash
# The paper's trends in miniature (issue #6.7) on the built-in synthetic preference task (`add`, two responses:
# the verified sum and a near miss). For each seed: SPCT phase 1 (configs/grm_rft.yaml), phase 2 from the RFT
# GRM (configs/grm_rl.yaml), a meta RM for the RL GRM (configs/meta_rm.yaml), then `spct eval` of both GRMs on
# the same held-out items: greedy, voting@1/4/8, and MetaRM@1/4/8 for the RL GRM. Prints one table row per
# seed and GRM, and the mean and spread over seeds. The shipped configs are used with a longer warm start (300
# steps) and sampling at temperature 0.5, so that sampled critiques parse (docs/grm.md); every evaluation uses
# run.seed 1, so all GRMs are judged on the same items with the same response shuffles.
#   bench/grm_trends/trends.sh SPCT_BINARY OUT_DIR [SEEDS...]     (default seeds: 1 2 3)
set -euo pipefail
spct=$1
out=$2
shift 2
[[ $# -gt 0 ]] && seeds=("$@") || seeds=(1 2 3)
src=$(cd "$(dirname "$0")/../.." && pwd)
items=${ITEMS:-128}
mkdir -p "$out"
for s in "${seeds[@]}"; do
  common=(run.dir="$out" run.seed="$s")
  [[ -d $out/rft_$s ]] || "$spct" train "$src/configs/grm_rft.yaml" "${common[@]}" run.name=rft_$s \
    sft.warmup_steps=300 grm.temperature=0.5 grm.rft_rounds=2 > "$out/rft_$s.log" 2>&1
  [[ -d $out/rl_$s ]] || "$spct" train "$src/configs/grm_rl.yaml" "${common[@]}" run.name=rl_$s \
    model.path="$out/rft_$s/model" sft.warmup_steps=0 rollout.temperature=0.5 > "$out/rl_$s.log" 2>&1
  [[ -d $out/meta_$s ]] || "$spct" train "$src/configs/meta_rm.yaml" "${common[@]}" run.name=meta_$s \
    grm.model_path="$out/rl_$s/model" grm.temperature=0.5 grm.meta_items=128 grm.meta_train_steps=80 \
    > "$out/meta_$s.log" 2>&1
  ev=(run.dir="$out" run.seed=1 data.eval_size="$items" 'eval.k=[1,4,8]')
  [[ -d $out/eval_rft_$s ]] || "$spct" eval "$src/configs/eval_grm.yaml" "${ev[@]}" run.name=eval_rft_$s \
    grm.model_path="$out/rft_$s/model" > "$out/eval_rft_$s.log" 2>&1
  [[ -d $out/eval_rl_$s ]] || "$spct" eval "$src/configs/eval_grm.yaml" "${ev[@]}" run.name=eval_rl_$s \
    grm.model_path="$out/rl_$s/model" grm.meta_model_path="$out/meta_$s/model" > "$out/eval_rl_$s.log" 2>&1
done
python3 - "$out" "${seeds[@]}" <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
cols = ["greedy", "voting@1", "voting@4", "voting@8", "metarm@1", "metarm@4", "metarm@8"]
rows = {}
for kind in ("rft", "rl"):
    for s in seeds:
        report = json.load(open(f"{out}/eval_{kind}_{s}/eval.json"))
        acc = {m["name"]: m["accuracy"] for m in report["methods"]}
        rows.setdefault(kind, []).append(acc)
        print(f"{kind:4} seed {s}: items {report['items']}, unparsable {report['parse_failures']}/{report['critiques']}: "
              + "  ".join(f"{c} {acc[c]:.3f}" for c in cols if c in acc))
print()
print("| GRM | " + " | ".join(cols) + " |")
print("|---|" + "---|" * len(cols))
for kind, accs in rows.items():
    cells = []
    for c in cols:
        vals = [a[c] for a in accs if c in a]
        if not vals:
            cells.append("")
        elif len(vals) == 1:
            cells.append(f"{vals[0]:.3f}")
        else:
            cells.append(f"{statistics.mean(vals):.3f} ± {statistics.pstdev(vals):.3f} ({min(vals):.3f}-{max(vals):.3f})")
    print(f"| {'RFT only' if kind == 'rft' else 'RFT + RL'} | " + " | ".join(cells) + " |")
PY
