#!/usr/bin/env bash
# `spct runs` over run directories made by a real colocated run, one nested as a pipeline stage, and broken
# ones: states, last step, metrics, --json, and clear errors for a directory that is not there.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=$work/runs
"$SPCT_BINARY" train run.dir="$runs" run.name=c layout.colocate=true run.steps=3 sft.warmup_steps=5 \
  > "$work/train.txt" 2>&1 || { cat "$work/train.txt"; echo "FAIL: run failed"; exit 1; }
fail=0
check() {  # check <description> <command...>: records a failure when the command fails
  local what=$1
  shift
  "$@" || { echo "FAIL: $what"; fail=1; }
}

# A pipeline nests stages one level deeper; a stage still running and a killed one are hand-made copies.
mkdir -p "$runs/pipe"
cp -r "$runs/c" "$runs/pipe/rft"
cp -r "$runs/c" "$runs/pipe/rl"
printf '{"state":"running","step":2,"total_steps":3,"pid":%d,"host":"%s"}\n' "$$" "$(hostname)" > "$runs/pipe/rl/status.json"
cp -r "$runs/c" "$runs/killed"
sleep 0 & dead=$!
wait "$dead"
printf '{"state":"running","step":1,"pid":%d,"host":"%s"}\n' "$dead" "$(hostname)" > "$runs/killed/status.json"
printf '{"step":2,"reward/me' >> "$runs/killed/metrics.jsonl"  # torn last line
mkdir -p "$runs/broken" && printf '{"state": ' > "$runs/broken/status.json"
mkdir -p "$runs/notes/sub/deeper" && echo '{"state":"finished"}' > "$runs/notes/sub/deeper/status.json"

"$SPCT_BINARY" runs "$runs" > "$work/table.txt" 2> "$work/err.txt"
code=$?
cat "$work/table.txt"
check "spct runs exit $code" test "$code" -eq 0
check "header" grep -q '^RUN  *STATE  *STEP  *REWARD  *ACC  *KL  *TOK/S  *UPDATED  *NOTE$' "$work/table.txt"
check "finished run" grep -Eq '^c +finished +3(/3)? +-?[0-9]' "$work/table.txt"
check "nested stage" grep -Eq '^pipe/rft +finished +3(/3)? ' "$work/table.txt"
check "running stage" grep -Eq '^pipe/rl +running +2/3 ' "$work/table.txt"
check "stale run" grep -Eq "^killed +stale +1 .*process $dead on .* is gone" "$work/table.txt"
check "broken status" grep -Eq '^broken +unknown +- .*status.json is not a JSON object$' "$work/table.txt"
check "too deep is not listed" bash -c "! grep -q deeper '$work/table.txt'"
check "5 runs" test "$(($(wc -l < "$work/table.txt") - 1))" -eq 5

"$SPCT_BINARY" runs "$runs" --json > "$work/runs.json" || { echo "FAIL: --json exit"; fail=1; }
check "--json names" grep -q '"name": "pipe/rl"' "$work/runs.json"
check "--json reward" grep -q '"reward/mean":' "$work/runs.json"
check "--json stale" grep -q '"state": "stale"' "$work/runs.json"

(cd "$work" && "$SPCT_BINARY" runs > "$work/default.txt") || { echo "FAIL: default dir"; fail=1; }
check "DIR defaults to runs" grep -Eq '^c +finished' "$work/default.txt"

"$SPCT_BINARY" runs "$work/missing" > /dev/null 2> "$work/missing.txt"
code=$?
check "missing dir exit $code, want 2" test "$code" -eq 2
check "missing dir message" grep -q "spct runs: directory '$work/missing' does not exist" "$work/missing.txt"
mkdir "$work/empty"
check "no runs message" bash -c "'$SPCT_BINARY' runs '$work/empty' | grep -q '^no runs under'"

[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
