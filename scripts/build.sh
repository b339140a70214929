#!/usr/bin/env bash
# Configures and builds spct into build/ (Ninja, ccache when present) against the LibTorch inside PyTorch's
# torch wheel. Extra arguments go to cmake's configure step, e.g. scripts/build.sh -DSPCT_WITH_NCCL=ON. Safe to
# run repeatedly: it only rebuilds what changed.
#
# Which PyTorch: the one in .venv/ (scripts/install-python.sh), or $SPCT_VENV's, or the interpreter named by
# $SPCT_TORCH_PYTHON (e.g. a GPU machine's own python3 with its PyTorch). SPCT_BUILD_DIR moves build/;
# SPCT_BUILD_TARGET builds one target (and what it needs) instead of everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SPCT_BUILD_DIR:-$root/build}
python=${SPCT_TORCH_PYTHON:-${SPCT_VENV:-$root/.venv}/bin/python}
if [[ ! -x "$python" ]] && ! command -v "$python" >/dev/null 2>&1; then
  echo "build: no PyTorch interpreter at $python (run scripts/install-python.sh, or set SPCT_TORCH_PYTHON)" >&2
  exit 2
fi
# torch's cmake prefix path, found without importing torch (an import takes seconds and needs numpy).
torch_prefix=$("$python" - <<'PY'
import importlib.util, os, sys
spec = importlib.util.find_spec("torch")
if spec is None:
    sys.exit("build: this python has no torch package")
print(os.path.join(spec.submodule_search_locations[0], "share", "cmake"))
PY
)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DSPCT_PYTHON="$(command -v "$python")" "$@" >/dev/null
cmake --build "$build" --parallel "$(nproc)" ${SPCT_BUILD_TARGET:+--target "$SPCT_BUILD_TARGET"}
