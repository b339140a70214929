#!/usr/bin/env bash
# README command 2: installs everything the tests need (Debian packages; PyTorch and the reference packages from
# PyPI into .venv/), builds spct against PyTorch's LibTorch with warnings as errors, checks formatting and
# clang-tidy, fuzzes each libFuzzer target briefly, and runs every test suite.
# Prints the wall time of each phase. Options: --labels "unit|mpi" (a CTest label regex; default: all but gpu).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
labels=""
while (($#)); do
  case "$1" in
    --labels) labels=$2; shift 2 ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

declare -a phase_names phase_seconds
phase() {  # phase <name> <command...>: runs and times one phase
  local name=$1; shift
  local start=$SECONDS
  echo "=== $name"
  "$@"
  phase_names+=("$name"); phase_seconds+=($((SECONDS - start)))
}
report() {
  echo "=== phase times"
  for i in "${!phase_names[@]}"; do printf '  %-10s %5d s\n' "${phase_names[$i]}" "${phase_seconds[$i]}"; done
}
trap report EXIT

phase install "$root/scripts/install-deps.sh" --with-fuzz --with-slurm  # slurm: the slurm suite
phase python "$root/scripts/install-python.sh" --with-test
export CC=${CC:-gcc} CXX=${CXX:-g++}
phase build "$root/scripts/build.sh" -DSPCT_WARNINGS_AS_ERRORS=ON -DSPCT_BUILD_TESTS=ON
phase format "$root/scripts/check-format.sh"
# clang-tidy on the tensor-free files the last commit changed (the whole tree when there is no history).
if git -C "$root" rev-parse -q --verify HEAD~1 >/dev/null; then
  phase tidy "$root/scripts/check-tidy.sh" --changed HEAD~1
else
  phase tidy "$root/scripts/check-tidy.sh"
fi
phase fuzz "$root/scripts/run-fuzz.sh"
# The suite runs two tests at once (-j 2), many of them several ranks each, on whatever machine CI has: threads
# spinning between OpenMP regions would take each other's cores (docs/runtime.md). The choice itself is tested
# in tests/unit/runtime, whose probes clear this variable.
export SPCT_OPENMP_WAIT=${SPCT_OPENMP_WAIT:-passive}
if [[ -n "$labels" ]]; then
  phase test ctest --test-dir "$root/build" --output-on-failure -L "$labels" -j 2
else
  phase test ctest --test-dir "$root/build" --output-on-failure -LE gpu -j 2
fi
