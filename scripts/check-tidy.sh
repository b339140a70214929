#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the translation units that do not include LibTorch (clang-tidy on a torch
# file takes minutes). Needs build/compile_commands.json (scripts/build.sh makes it). Fails on any finding.
# Usage: scripts/check-tidy.sh [--changed REV]   (--changed: only the files changed since REV, e.g. HEAD~1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SPCT_BUILD_DIR:-$root/build}
cd "$root"
if [[ "${1:-}" == "--changed" ]]; then
  list=(git diff --name-only --diff-filter=AM "${2:?--changed needs a revision}" -- '*.cpp')
else
  list=(git ls-files '*.cpp')
fi
# Only files this build compiles (the NCCL communicator is absent from a CPU build's compile_commands.json).
mapfile -t files < <("${list[@]}" | grep -vE '^(tests/fuzz|bench)/' | while read -r f; do
  grep -q "\"file\": \"$root/$f\"" "$build/compile_commands.json" || continue
  grep -qE '#include <(ATen|torch|c10)/' "$f" || echo "$f"; done)
echo "check-tidy: ${#files[@]} tensor-free files"
((${#files[@]})) || exit 0
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>&1 \
  | grep -vE '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|^$' | tee /tmp/spct-tidy.log || true
if grep -qE 'error:|warning:' /tmp/spct-tidy.log; then
  echo "check-tidy: findings above"; exit 1
fi
echo "check-tidy: clean"
