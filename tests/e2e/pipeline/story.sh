#!/usr/bin/env bash
# The quickstart story in miniature: `spct pipeline show|run` with no file run the embedded configs/quickstart.yaml
# (in ./runs/quickstart), here with every stage cut to a handful of steps and items by command-line overrides.
# Every stage runs for real (policy warm start, evals, GRM RFT, GRM RL on MPI ranks, meta RM, policy GRPO with
# the GRM as reward); the report writes summary.md and summary.json with every row of the closing table (the
# policy evals' greedy and sampled rows) and the paired comparisons of the story's trends; a second run
# skips every stage and prints the same table. (Accuracies
# this small are noise: only the rows and their shape are checked here; README.md quotes the full-size run.)
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
cd "$work"
tiny=(run.steps=2 run.threads=1 sft.warmup_steps=4 sft.batch_size=4 data.eval_size=8 rollout.prompts_per_step=4
      rollout.group_size=2 grm.rft_items=8 grm.rft_rounds=1 grm.rft_sft_steps=2 grm.meta_items=8
      grm.meta_train_steps=2 grpo.warmup_steps=0)

"$SPCT_BINARY" pipeline show "${tiny[@]}" > show.txt 2>&1 || { cat show.txt; echo "FAIL: show"; fail=1; }
grep -q "^pipeline quickstart (<embedded quickstart>)" show.txt || { echo "FAIL: show is not of the embedded story"; fail=1; }
grep -q "inline config, written to $work/runs/quickstart/grm_rl.config.yaml" show.txt || {
  echo "FAIL: show does not print the inline configs"; fail=1; }

timeout 240 "$SPCT_BINARY" pipeline run "${tiny[@]}" > run1.txt 2>&1
code=$?
[[ $code -eq 0 ]] || { tail -40 run1.txt; echo "FAIL: pipeline run exit $code"; fail=1; }
runs=$work/runs/quickstart
[[ -s $runs/policy.config.yaml ]] || { echo "FAIL: no policy.config.yaml"; fail=1; }
grep -q "^model:" "$runs/policy/config.yaml" 2>/dev/null || { echo "FAIL: the policy stage did not run"; fail=1; }
PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" python3 - "$runs" <<'PY' || fail=1
import json, sys
from summary_checks import check_comparison
runs = sys.argv[1]
rows = json.load(open(f"{runs}/summary.json"))["rows"]
table = open(f"{runs}/summary.md").read()
got = {(r["stage"], r["method"]) for r in rows}
want = {("policy_before", "greedy verifier accuracy"), ("policy_after", "greedy verifier accuracy"),
        ("grm_rft_eval", "greedy"), ("grm_final_eval", "greedy")}
want |= {("grm_final_eval", m) for m in ("voting@4", "metarm@4")}
want |= {("policy", f"sampled verifier accuracy, {w} 2 steps") for w in ("first", "last")}
want |= {(s, "sampled verifier accuracy, 8 samples per item") for s in ("policy_before", "policy_after")}
missing = want - got
if missing:
    sys.exit(f"FAIL: summary rows missing: {sorted(missing)}")
for r in rows:
    # Training rows count steps, eval rows items, sampled eval rows items x 8 samples.
    # (The GRM's agreement rows count the steps whose groups the verifier split: 1 or 2 of them.)
    n = 2 if r["stage"] == "policy" else 64 if r["method"].startswith("sampled") else 8
    agreement = r["method"].startswith("GRM-verifier agreement")
    if not (0 <= r["accuracy"] <= 1 and (1 <= r["items"] <= 2 if agreement else r["items"] == n)
            and r["std_error"] >= 0):
        sys.exit(f"FAIL: bad row {r}")
    if f"| {r['stage']} | {r['target']} | {r['method']} |" not in table:
        sys.exit(f"FAIL: summary.md lacks {r['stage']} {r['method']}")
# The paired comparisons of the story's trends, each over the 8 shared held-out items.
comparisons = {c["name"]: c for c in json.load(open(f"{runs}/summary.json"))["comparisons"]}
for name in ("voting@16 vs voting@1 (grm_final_eval)", "metarm@16 vs voting@16 (grm_final_eval)",
             "grm_final_eval vs grm_rft_eval: greedy", "policy_after vs policy_before: greedy verifier accuracy",
             "policy_after vs policy_before: sampled verifier accuracy, 8 samples per item"):
    check_comparison(comparisons, table, name, items=8)
PY
grep -q "| policy_after | policy | greedy verifier accuracy |" run1.txt || { echo "FAIL: the table is not printed"; fail=1; }
grep -q "| policy_after | policy | sampled verifier accuracy, 8 samples per item |" run1.txt ||
  { echo "FAIL: the table has no sampled policy row"; fail=1; }

"$SPCT_BINARY" pipeline run "${tiny[@]}" > run2.txt 2>&1 || { echo "FAIL: second run"; fail=1; }
[[ $(grep -c "already finished (.*); skipping it" run2.txt) -eq 9 ]] || { cat run2.txt; echo "FAIL: the second run re-ran stages"; fail=1; }
grep -q "| policy_before | policy |" run2.txt || { echo "FAIL: the second run printed no table"; fail=1; }

((fail)) && exit 1
echo "PASS"
