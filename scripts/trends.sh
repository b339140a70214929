#!/usr/bin/env bash
# The SPCT story's trends over seeds, with paired standard errors: the larger version of the quickstart.
#
#   scripts/trends.sh [OUT] [SEEDS...]         run the story once per seed, then print the trends table
#   SPCT_TRENDS_COLLECT=1 scripts/trends.sh OUT [SEEDS...]    only print the table of runs already in OUT
#   SPCT_TRENDS_CONFIG=configs/ablations.yaml scripts/trends.sh runs/ablation-trends    the SPCT ablations instead
#
# Each seed runs `spct pipeline run CONFIG run.seed=N data.eval_size=E` in OUT/seed-N/ (CONFIG is
# SPCT_TRENDS_CONFIG or configs/quickstart.yaml; default OUT runs/trends, seeds 1 2 3, E = SPCT_TRENDS_EVAL_SIZE
# or 2500). E applies to every stage's held-out set: the
# policy evals and the GRM evals (2500 each in the quickstart too since 2026-12-07, so each accuracy's standard
# error is at most 0.01; a larger E narrows the paired comparisons further, its sampling time growing with E).
# The binary is build/orchestrator/spct unless SPCT is set. A finished seed is not rerun (the pipeline resumes).
#
# The table has one row per paired comparison of the report (orchestrator/pipeline/summary.h: voting@16 vs
# voting@1, MetaRM@16 vs voting@16, the final GRM vs the RFT-only one, the policy after vs before GRPO) and
# one column per seed: B - A ± its paired standard error, the two-sided p-value, and "held" when B - A > 0
# with p < 0.05. DRIFT lines of the reports (reward hacking, summary.h) follow the table. It is written to
# OUT/trends.md too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/trends}
shift || true
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3)
spct=${SPCT:-$root/build/orchestrator/spct}
config=$(realpath "${SPCT_TRENDS_CONFIG:-$root/configs/quickstart.yaml}")
pipeline=$(basename "$config" .yaml)  # the shipped configs name their pipeline after their file
eval_size=${SPCT_TRENDS_EVAL_SIZE:-2500}
mkdir -p "$out"

if [[ -z ${SPCT_TRENDS_COLLECT:-} ]]; then
  [[ -x $spct ]] || { echo "trends.sh: no spct binary at $spct (build first, or set SPCT)" >&2; exit 2; }
  for seed in "${seeds[@]}"; do
    mkdir -p "$out/seed-$seed"
    echo "trends.sh: seed $seed -> $out/seed-$seed"
    start=$(date +%s)
    (cd "$out/seed-$seed" && "$spct" pipeline run "$config" "run.seed=$seed" \
      "data.eval_size=$eval_size")
    echo "trends.sh: seed $seed took $(($(date +%s) - start)) s"
  done
fi

python3 - "$out" "$pipeline" "${seeds[@]}" <<'PY'
import json, os, sys
out, pipeline, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
reports = {}
for seed in seeds:
    path = os.path.join(out, f"seed-{seed}", "runs", pipeline, "summary.json")
    if not os.path.exists(path):
        sys.exit(f"trends.sh: {path} is missing (did seed {seed} finish?)")
    reports[seed] = json.load(open(path))
names = []
for seed in seeds:
    for c in reports[seed].get("comparisons", []):
        if c["name"] not in names:
            names.append(c["name"])
lines = ["| trend (B - A, paired on the same items) | " + " | ".join(f"seed {s}" for s in seeds) + " |",
         "|---|" + "---|" * len(seeds)]
for name in names:
    cells = []
    for seed in seeds:
        c = next((c for c in reports[seed]["comparisons"] if c["name"] == name), None)
        if c is None:
            cells.append("")
            continue
        p = c["p_value"]
        held = "held" if c["difference"] > 0 and p < 0.05 else "not held"
        cells.append(f"{c['accuracy_a']:.3f} -> {c['accuracy_b']:.3f}: {c['difference']:+.3f} ± {c['std_error']:.3f}, "
                     f"p {'<0.0001' if p < 1e-4 else f'{p:.2g}'}, {held}")
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
for seed in seeds:
    for warning in reports[seed].get("drift", []):
        lines.append(f"\nseed {seed}: {warning}")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "trends.md"), "w").write(text)
print(text, end="")
PY
