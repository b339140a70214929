#!/usr/bin/env bash
# Fails when a C++ file in the tree is not formatted by .clang-format (prints the files and the fix).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.h')
bad=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "check-format: not formatted: ${bad[*]}"
  echo "check-format: fix with: clang-format -i ${bad[*]}"
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
