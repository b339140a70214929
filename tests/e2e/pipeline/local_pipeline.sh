#!/usr/bin/env bash
# `spct pipeline show|run` with the real spct: stages run in order as separate processes, a `${stage}` reference
# expands to that stage's run directory, the first failing stage stops the pipeline with its exit code (its
# dependents never start), a second run skips the finished stages, and a broken pipeline file is refused with
# file:line before anything runs.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
cat > "$work/tiny.yaml" <<YAML
run: {steps: 2}
layout: {colocate: true}
sft: {warmup_steps: 2}
rollout: {prompts_per_step: 2, group_size: 2}
YAML
cat > "$work/p.yaml" <<YAML
pipeline: {name: local, dir: $work/runs}
stages:
  - {name: first, config: tiny.yaml}
  - {name: second, config: tiny.yaml, overrides: ['grm.model_path=\${first}/model']}
  - {name: broken, config: tiny.yaml, overrides: ['data.task=', 'data.path=$work/missing.jsonl']}
  - {name: never, config: tiny.yaml}
YAML
runs=$work/runs/local

"$SPCT_BINARY" pipeline show "$work/p.yaml" > "$work/show.txt" 2>&1 || { cat "$work/show.txt"; echo "FAIL: show"; fail=1; }
grep -q "grm.model_path=$runs/first/model" "$work/show.txt" || { echo "FAIL: \${first} not expanded"; fail=1; }
[[ $(grep -c '^stage ' "$work/show.txt") -eq 4 ]] || { echo "FAIL: show lists $(grep -c '^stage ' "$work/show.txt") stages"; fail=1; }

"$SPCT_BINARY" pipeline run "$work/p.yaml" > "$work/run1.txt" 2>&1
code=$?
[[ $code -eq 3 ]] || { echo "FAIL: pipeline run exit $code, want 3 (the broken stage's malformed-input code)"; fail=1; }
for stage in first second; do
  grep -q '"state":"finished"' "$runs/$stage/status.json" 2>/dev/null || { echo "FAIL: $stage not finished"; fail=1; }
done
grep -q 'model_path: "'"$runs"'/first/model"' "$runs/second/config.yaml" || { echo "FAIL: second's config"; fail=1; }
[[ -e "$runs/never" ]] && { echo "FAIL: the stage after the failure ran"; fail=1; }
grep -q "stage broken failed with exit code 3" "$work/run1.txt" || { echo "FAIL: no failure message"; fail=1; }
((fail)) && tail -30 "$work/run1.txt"

before=$(sha256sum "$runs/first/metrics.jsonl")
"$SPCT_BINARY" pipeline run "$work/p.yaml" > "$work/run2.txt" 2>&1
code=$?
[[ $code -eq 3 ]] || { echo "FAIL: second pipeline run exit $code, want 3"; fail=1; }
grep -q "stage first already finished" "$work/run2.txt" || { echo "FAIL: first not skipped"; fail=1; }
grep -q "stage second already finished" "$work/run2.txt" || { echo "FAIL: second not skipped"; fail=1; }
[[ "$before" == "$(sha256sum "$runs/first/metrics.jsonl")" ]] || { echo "FAIL: a finished stage ran again"; fail=1; }

sed 's/name: never, config/name: never, after: [nope], config/' "$work/p.yaml" > "$work/bad.yaml"
"$SPCT_BINARY" pipeline run "$work/bad.yaml" > "$work/bad.txt" 2>&1
code=$?
[[ $code -eq 2 ]] || { echo "FAIL: bad pipeline exit $code, want 2"; fail=1; }
grep -q "bad.yaml:6:.*after: 'nope' is not a stage declared before 'never'" "$work/bad.txt" ||
  { echo "FAIL: bad pipeline message"; cat "$work/bad.txt"; fail=1; }

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
