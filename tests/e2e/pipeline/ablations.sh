#!/usr/bin/env bash
# The SPCT ablations in miniature: `spct pipeline run configs/ablations.yaml` with every stage cut to a handful of
# steps and items. Both GRM arms train for real (warm start, RFT, rule-based RL on MPI ranks): one writes bare
# scores, one states its principle first (grm.template compact_principles); a scalar RM trains on the same items
# (run.job scalar_rm) and rewards one policy's GRPO (reward.functions scalar=scalar:DIR), the GRM another's. The
# report must hold each eval's rows and the paired comparisons the ablations claim: RFT + RL vs RFT only, with
# vs without principles, the scalar-rewarded policy vs before, the GRM-rewarded one vs the scalar-rewarded one,
# each on the same held-out items with its standard error and p-value. (Accuracies this small are noise: only
# the rows and comparisons are checked; docs/grm.md quotes the full-size run.)
#   usage: ablations.sh CONFIG (configs/ablations.yaml)
set -uo pipefail
config=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
cd "$work"
tiny=(run.steps=2 run.threads=1 sft.warmup_steps=4 sft.batch_size=4 data.eval_size=8 rollout.prompts_per_step=4
      rollout.group_size=2 grm.rft_items=8 grm.rft_rounds=1 grm.rft_sft_steps=2 grpo.warmup_steps=0)

timeout 240 "$SPCT_BINARY" pipeline run "$config" "${tiny[@]}" > run.txt 2>&1
code=$?
[[ $code -eq 0 ]] || { tail -40 run.txt; echo "FAIL: pipeline run exit $code"; fail=1; }
runs=$work/runs/ablations
# The principles arm ran with the principled template, the other arm without.
grep -q 'template: "compact_principles"' "$runs/principles_rft/config.yaml" 2>/dev/null ||
  { echo "FAIL: principles_rft did not run with grm.template compact_principles"; fail=1; }
grep -q 'template: "compact"' "$runs/grm_rft/config.yaml" 2>/dev/null ||
  { echo "FAIL: grm_rft did not run with grm.template compact"; fail=1; }
[[ -s $runs/scalar_rm/model/config.json ]] || { echo "FAIL: the scalar RM was not exported"; fail=1; }
PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" python3 - "$runs" <<'PY' || fail=1
import json, sys
from summary_checks import check_comparison
runs = sys.argv[1]
summary = json.load(open(f"{runs}/summary.json"))
table = open(f"{runs}/summary.md").read()
evals = ("rft_only_eval", "rft_rl_eval", "principles_eval")
methods = ("greedy", "voting@1", "voting@8")
got = {(r["stage"], r["method"]): r for r in summary["rows"]}
for stage in evals:
    for method in methods:
        r = got.get((stage, method))
        if r is None:
            sys.exit(f"FAIL: no row {stage} {method}: {sorted(got)}")
        if not (r["items"] == 8 and 0 <= r["accuracy"] <= 1 and r["std_error"] >= 0):
            sys.exit(f"FAIL: bad row {r}")
        if f"| {stage} | grm | {method} |" not in table:
            sys.exit(f"FAIL: summary.md lacks {stage} {method}")
# The ablations' paired comparisons, each over the 8 shared held-out items, and nothing that pairs the arms
# otherwise (the RFT-only GRM is never compared with the principled one directly).
comparisons = {c["name"]: c for c in summary["comparisons"]}
want = [f"rft_rl_eval vs rft_only_eval: {m}" for m in methods]
want += [f"principles_eval vs rft_rl_eval: {m}" for m in methods]
want += [f"voting@8 vs voting@1 ({s})" for s in evals]
for name in want:
    check_comparison(comparisons, table, name, items=8)
# The policies: scalar-rewarded vs before, GRM-rewarded vs scalar-rewarded, greedy and sampled, 8 problems.
policy_methods = ("greedy verifier accuracy", "sampled verifier accuracy, 8 samples per item")
policy_want = [f"policy_scalar_after vs policy_before: {m}" for m in policy_methods]
policy_want += [f"policy_grm_after vs policy_scalar_after: {m}" for m in policy_methods]
for name in policy_want:
    check_comparison(comparisons, table, name, items=8)
want += policy_want
for stage in ("policy_scalar", "policy_grm"):
    for w in ("first", "last"):
        if (stage, f"sampled verifier accuracy, {w} 2 steps") not in got:
            sys.exit(f"FAIL: no training rows of {stage}")
# The scalar RM was the scalar-rewarded policy's reward: a sigmoid, in (0, 1), at every step.
steps = [json.loads(line) for line in open(f"{runs}/policy_scalar/metrics.jsonl")]
rewards = [s["reward/scalar/mean"] for s in steps if "reward/scalar/mean" in s]
if len(rewards) != 2 or not all(0 < r < 1 for r in rewards):
    sys.exit(f"FAIL: policy_scalar's reward/scalar/mean over its 2 steps: {rewards}")
extra = sorted(set(comparisons) - set(want))
if extra:
    sys.exit(f"FAIL: unexpected comparisons {extra}")
PY
grep -q "| principles_eval vs rft_rl_eval: voting@8 |" run.txt || { echo "FAIL: the table is not printed"; fail=1; }

((fail)) && exit 1
echo "PASS"
