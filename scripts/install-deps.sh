#!/usr/bin/env bash
# Installs the Debian packages spct needs to build and test on Debian 12. LibTorch is not one of them: it comes
# from PyTorch's own wheel on PyPI (scripts/install-python.sh, pinned in python/requirements.txt).
#
# Idempotent and fast when nothing is missing: it asks dpkg first and only calls apt-get for what is absent.
# Used by both README commands (scripts/quickstart.sh, scripts/test.sh) and so by CI.
#
# Usage: scripts/install-deps.sh [--with-slurm] [--with-fuzz]
set -euo pipefail

want_slurm=0 want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --with-slurm) want_slurm=1 ;;
    --with-fuzz) want_fuzz=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  python3 python3-venv         # the project-local virtual environment that holds PyTorch's LibTorch
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libboost-dev libboost-system-dev
  catch2 libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libpcre2-dev libicu-dev libssl-dev   # PCRE2: tokenizer split regexes; ICU: Unicode normalization (NFC)
  libprotobuf-dev protobuf-compiler    # TensorBoard event files
  libzstd-dev                          # rollout logs (observe.rollout_log_compress zstd)
  clang-format clang-tidy
  nodejs                       # runs the offline node tokenizer in ../shared/oracle that cross-checks the tests
  strace                       # the resume tests stop a run at an exact system call (kill_export.sh)
  iproute2 util-linux          # the multinode suite's namespace hosts (scripts/netns-hosts.sh: ip, nsenter, unshare)
)
(( want_slurm )) && packages+=(slurm-wlm munge)
(( want_fuzz )) && packages+=(clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == "ii "* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

