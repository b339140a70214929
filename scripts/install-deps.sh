#!/usr/bin/env bash
# Installs everything spct needs to build and test on Debian 12, then proves LibTorch runs on OpenBLAS.
#
# Idempotent and fast when nothing is missing: it asks dpkg first and only calls apt-get for what is absent.
# Used by both README commands (scripts/quickstart.sh, scripts/test.sh) and so by CI.
#
# Usage: scripts/install-deps.sh [--with-slurm] [--with-fuzz] [--with-node]
set -euo pipefail

want_slurm=0 want_fuzz=0 want_node=0
for arg in "$@"; do
  case "$arg" in
    --with-slurm) want_slurm=1 ;;
    --with-fuzz) want_fuzz=1 ;;
    --with-node) want_node=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev
  libopenblas0-openmp          # LibTorch otherwise resolves libblas.so.3 to the reference BLAS (40x slower)
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libboost-dev libboost-system-dev
  catch2 libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libpcre2-dev libicu-dev libssl-dev   # PCRE2: tokenizer split regexes; ICU: Unicode normalization (NFC)
  libprotobuf-dev protobuf-compiler    # TensorBoard event files
  clang-format clang-tidy
)
(( want_slurm )) && packages+=(slurm-wlm munge)
(( want_fuzz )) && packages+=(clang libclang-rt-14-dev)
(( want_node )) && ! command -v node >/dev/null 2>&1 && packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == "ii "* ]] || missing+=("$p")
done

# libopenblas0-pthread would win the libblas.so.3 alternative and oversubscribe threads under MPI.
if dpkg-query -W -f='${db:Status-Abbrev}' libopenblas0-pthread 2>/dev/null | grep -q '^ii'; then
  echo "install-deps: removing libopenblas0-pthread (it would shadow the OpenMP build of OpenBLAS)"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -q libopenblas0-pthread
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# Prove the BLAS LibTorch will use at run time is OpenBLAS, not the reference BLAS: ask the dynamic linker
# which library satisfies libblas.so.3 and check the alternative, then measure (scripts/check-blas.sh).
"$(dirname "$0")/check-blas.sh"
