#!/usr/bin/env bash
# `spct tokenize` end to end: the char tokenizer follows its documented vocabulary, the real tokenizer files in
# $SPCT_SHARED_DIR/data/tokenizers (given as a file or as a directory) give the ids of Hugging Face tokenizers
# (tests/reference/tokenize_reference.py run by $SPCT_PYTHON), with and without --add-special, --json adds token
# spellings, and bad input exits with the documented codes (2 usage, 3 malformed input) and a located message.
set -uo pipefail
spct=$SPCT_BINARY
tokenizers=$SPCT_SHARED_DIR/data/tokenizers
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

# The reference's ids for one text, as "ids|ids with special tokens" (space-separated); 240 s is far beyond
# loading the largest shared tokenizer (Gemma 3) on a loaded machine.
reference() {  # reference <tokenizer.json> <text>
  "$SPCT_PYTHON" -c 'import json, sys; print(json.dumps({"tokenizer": sys.argv[1], "texts": [sys.argv[2]]}))' "$1" "$2" |
    timeout 240 "$SPCT_PYTHON" "$SPCT_SOURCE_DIR/tests/reference/tokenize_reference.py" |
    "$SPCT_PYTHON" -c 'import json, sys; a = json.load(sys.stdin); print(*a["ids"][0], end="|"); print(*a["ids_special"][0])'
}

if [[ ! -f "$tokenizers/qwen3/tokenizer.json" ]]; then
  fail "the shared tokenizer files are missing: $tokenizers/qwen3/tokenizer.json (configure -DSPCT_SHARED_DIR)"
else
  sample=$'Hello world, <|im_end|> <s> <start_of_turn> 12345 caf\u00e9 \u4e2d\u6587 \U0001F44D\U0001F3FD\n\ttab  '
  for model in qwen3 llama3 deepseek_v3 llama2 gemma3; do
    json="$tokenizers/$model/tokenizer.json"
    want=$(reference "$json" "$sample")
    got=$("$spct" tokenize "$json" --text "$sample")
    [[ -n "$want" && "$got" == "${want%|*}" ]] && echo "ok   $model ids match the reference" ||
      fail "$model ids: got '$got', reference '${want%|*}'"
    got=$("$spct" tokenize "$json" --text "$sample" --add-special)
    [[ "$got" == "${want#*|}" ]] && echo "ok   $model --add-special matches the reference" ||
      fail "$model --add-special: got '$got', reference '${want#*|}'"
    got_dir=$("$spct" tokenize "$(dirname "$json")" --text "$sample")
    [[ "$got_dir" == "${want%|*}" ]] && echo "ok   $model by directory" || fail "$model by directory: '$got_dir'"
  done
  qwen="$tokenizers/qwen3/tokenizer.json"
  check "--json lists ids, spellings and pieces" 0 '"tokens":["Hello","Ġworld","<|im_end|>"]' -- \
    "$spct" tokenize "$qwen" --text "Hello world<|im_end|>" --json
  check "--json pieces decode each token" 0 '"pieces":["Hello"," world","<|im_end|>"]' -- \
    "$spct" tokenize "$qwen" --text "Hello world<|im_end|>" --json
  check "--json spells SentencePiece tokens with ▁" 0 '"tokens":["<s>","▁Hello","▁world"]' -- \
    "$spct" tokenize "$tokenizers/llama2" --text "Hello world" --json --add-special
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
