#!/usr/bin/env bash
# Table-driven: every broken config in tests/data/bad-configs gives exactly one located error message containing
# the expected text, exit code 2, and no crash or stack trace. Needs SPCT_BINARY (set by CTest).
set -uo pipefail
dir="$SPCT_SOURCE_DIR/tests/data/bad-configs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$dir"/*.yaml "$work"/
# Binary garbage is made here rather than committed: NUL bytes and invalid UTF-8 after a plausible start.
printf 'run:\n  steps: \x00\xff\xfe\x80garbage\x01\x02' > "$work/binary-garbage.yaml"
head -c 4096 /dev/urandom >> "$work/binary-garbage.yaml"

failures=0 cases=0
while IFS='|' read -r file expected; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  cases=$((cases + 1))
  output=$("$SPCT_BINARY" config validate "$work/$file" 2>&1)
  code=$?
  problem=""
  [[ $code -eq 2 ]] || problem="exit code $code, expected 2"
  [[ "$output" == *"$expected"* ]] || problem+="${problem:+; }message lacks: $expected"
  [[ $(grep -c '^spct: error:' <<<"$output") -eq 1 ]] || problem+="${problem:+; }not exactly one error message"
  grep -qiE 'terminate called|Segmentation|Aborted|what\(\)|stack' <<<"$output" && problem+="${problem:+; }crash output"
  if [[ -n "$problem" ]]; then
    failures=$((failures + 1))
    printf 'FAIL %s: %s\n  got: %s\n' "$file" "$problem" "$output"
  else
    printf 'ok   %s -> %s\n' "$file" "$(head -c 160 <<<"$output" | tr '\n' ' ')"
  fi
done < "$dir/expectations.txt"
echo "$((cases - failures)) passed, $failures failed"
[[ $failures -eq 0 && $cases -ge 12 ]]
