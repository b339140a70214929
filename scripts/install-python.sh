#!/usr/bin/env bash
# Installs spct's PyPI dependencies into the project-local virtual environment .venv/ (or $SPCT_VENV):
# PyTorch's torch wheel, whose LibTorch spct builds against (python/requirements.txt), and with --with-test the
# references the test suites compare against (python/requirements-test.txt: tokenizers, transformers, peft), and
# with --with-bench also the peers the benchmarks run beside spct (python/requirements-bench.txt: trl).
# Every version, direct or transitive, is pinned by python/constraints.txt.
#
# Idempotent and fast when nothing changed: pip runs only when the requirement files differ from the ones the
# environment was installed from (a stamp file records their hash). Needs python3 and python3-venv
# (scripts/install-deps.sh installs them).
#
# Usage: scripts/install-python.sh [--with-test|--with-bench]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SPCT_VENV:-$root/.venv}
requirements=$root/python/requirements.txt
for arg in "$@"; do
  case "$arg" in
    --with-test) requirements=$root/python/requirements-test.txt ;;
    --with-bench) requirements=$root/python/requirements-bench.txt ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install-python: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

stamp=$venv/.spct-requirements-sha256
# Every requirement file is hashed (one may include another with -r), with the name of the one asked for.
hash=$({ basename "$requirements"; cat "$root"/python/requirements*.txt "$root/python/constraints.txt"; } |
  sha256sum | cut -c1-64)
# A test install also satisfies the plain one: remember every hash this environment was installed for.
if [[ -f "$stamp" ]] && grep -qx "$hash" "$stamp"; then
  echo "install-python: $venv is up to date ($(basename "$requirements"))"
  exit 0
fi

start=$SECONDS
if [[ ! -x "$venv/bin/python" ]]; then
  echo "install-python: creating $venv"
  python3 -m venv "$venv"
fi
echo "install-python: pip install -r $(basename "$requirements") into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$requirements" -c "$root/python/constraints.txt"
echo "$hash" >> "$stamp"
echo "install-python: ok in $((SECONDS - start)) s ($(du -sh "$venv" | cut -f1) in $venv)"
