#!/usr/bin/env bash
# A colocated run (every role in one process) finishes, writes config.yaml, config.hash, metrics.jsonl (one line
# per step), status.json and the exported model/, and a second run with the same name is never overwritten: run
# again it is complete (exit 0, nothing rewritten); with --resume never it is refused with exit 2.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run=(run.dir="$work" run.name=c layout.colocate=true run.steps=3 sft.warmup_steps=5)
"$SPCT_BINARY" train "${run[@]}" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; echo "FAIL: run failed"; exit 1; }
dir=$work/c
fail=0
for f in config.yaml config.hash metrics.jsonl status.json model/config.json model/model.safetensors; do
  [[ -s "$dir/$f" ]] || { echo "FAIL: $f missing"; fail=1; }
done
[[ $(wc -l < "$dir/metrics.jsonl") -eq 3 ]] || { echo "FAIL: expected 3 metric lines"; fail=1; }
grep -q '"state":"finished"' "$dir/status.json" || { echo "FAIL: status not finished"; cat "$dir/status.json"; fail=1; }
grep -q '"verifier/accuracy"' "$dir/metrics.jsonl" || { echo "FAIL: no verifier accuracy"; fail=1; }
"$SPCT_BINARY" config validate "$dir/config.yaml" >/dev/null || { echo "FAIL: config.yaml does not reload"; fail=1; }
before=$(sha256sum "$dir/metrics.jsonl")
"$SPCT_BINARY" train "${run[@]}" > "$work/out1.txt" 2>&1 || { echo "FAIL: rerun of a finished run failed"; fail=1; }
grep -q "nothing to do" "$work/out1.txt" || { echo "FAIL: rerun message"; cat "$work/out1.txt"; fail=1; }
"$SPCT_BINARY" train "${run[@]}" --resume never > "$work/out2.txt" 2>&1
code=$?
[[ $code -eq 2 ]] || { echo "FAIL: rerun exit $code, want 2"; fail=1; }
grep -q "already holds a run" "$work/out2.txt" || { echo "FAIL: rerun message"; cat "$work/out2.txt"; fail=1; }
[[ "$before" == "$(sha256sum "$dir/metrics.jsonl")" ]] || { echo "FAIL: metrics changed by the refused rerun"; fail=1; }
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
