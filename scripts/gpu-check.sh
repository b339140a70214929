#!/usr/bin/env bash
# The GPU check (docs/gpu.md): builds spct on a lent GPU machine that has PyTorch (with its LibTorch), nvcc,
# CMake and ninja but no network and no Debian -dev packages, runs the `gpu` tests and the GPU benchmark, and
# writes the results to $OUT (test summary, benchmark JSON, build log). One call, at most 8 minutes.
#
#   scripts/gpu-check.sh --prepare-only   here, with network: apt-get download the Debian packages the build
#                                         needs (and their runtime libraries) into .gpu-check/debs (ignored by
#                                         git; it travels with the device call) and print its size
#   scripts/gpu-check.sh --verify-here    here: unpack them into a prefix and configure a build that may find
#                                         packages only there (proves the package set is complete)
#   scripts/gpu-check.sh                  on the GPU machine: unpack into .gpu-check/prefix (never into /),
#                                         build against the machine's own PyTorch, run the checks
#
# Environment: OUT (results folder; default .gpu-check/out), SPCT_TORCH_PYTHON (python with torch; default
# python3 on the GPU machine, .venv/bin/python for --verify-here), SPCT_GPU_CHECK_BUDGET_S (default 480).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/.gpu-check
debs=$work/debs
prefix=$work/prefix
out=${OUT:-$work/out}
budget_s=${SPCT_GPU_CHECK_BUDGET_S:-480}
start_s=$SECONDS

# Build dependencies (scripts/install-deps.sh's -dev list) and the programs the tests run (mpiexec).
packages=(libopenmpi-dev openmpi-bin libyaml-cpp-dev libboost-dev libboost-system-dev catch2 libcli11-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libpcre2-dev libicu-dev libssl-dev libprotobuf-dev protobuf-compiler
  libzstd-dev pkgconf)
# Left out: hwloc's plugins (X11, OpenCL, NVIDIA control libraries) and ssh (mpirun only needs it across nodes).
without=(libhwloc-plugins openssh-client)

prepare() {
  mkdir -p "$debs"
  # The closure less the C library, the compiler runtime and base packages (gpu_check_closure.py).
  mapfile -t real < <(python3 "$root/scripts/gpu_check_closure.py" "${packages[@]}" --without "${without[@]}")
  rm -f "$debs"/*.deb
  (cd "$debs" && apt-get download -q "${real[@]}" >/dev/null 2>&1)
  echo "gpu-check: ${#real[@]} packages in $debs: $(du -sh --apparent-size "$debs" | cut -f1) (the device call carries at most 64 MiB)"
}

unpack() {
  rm -rf "$prefix" && mkdir -p "$prefix"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
  local arch=x86_64-linux-gnu
  export PATH=$prefix/usr/bin:$PATH
  export LD_LIBRARY_PATH=$prefix/usr/lib/$arch:$prefix/usr/lib/$arch/openmpi/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export OPAL_PREFIX=$prefix/usr  # Open MPI finds its components and wrapper data under the moved prefix
  export PKG_CONFIG_PATH=$prefix/usr/lib/$arch/pkgconfig:$prefix/usr/share/pkgconfig
  export PKG_CONFIG_SYSROOT_DIR=$prefix
  # Debian's alternatives links are not unpacked: name the Open MPI programs directly.
  ln -sf mpiexec.openmpi "$prefix/usr/bin/mpiexec"
  ln -sf mpicxx.openmpi "$prefix/usr/bin/mpicxx"
  ln -sf mpicc.openmpi "$prefix/usr/bin/mpicc"
}

# CMake arguments that make the build find its packages in the prefix.
prefix_args() {
  local arch=x86_64-linux-gnu
  echo "-DCMAKE_LIBRARY_PATH=$prefix/usr/lib/$arch -DCMAKE_INCLUDE_PATH=$prefix/usr/include" \
    "-DMPIEXEC_EXECUTABLE=$prefix/usr/bin/mpiexec.openmpi -DMPI_CXX_COMPILER=$prefix/usr/bin/mpicxx.openmpi" \
    "-DProtobuf_PROTOC_EXECUTABLE=$prefix/usr/bin/protoc"
}

# The torch package directory, for --verify-here: here torch is the project's .venv (README), not the system's.
torch_root() {
  local python=${SPCT_TORCH_PYTHON:-$root/.venv/bin/python}
  "$python" -c 'import importlib.util,os;print(os.path.dirname(importlib.util.find_spec("torch").origin))'
}

case "${1:-}" in
  --prepare-only) prepare; exit 0 ;;
  --verify-here)
    unpack
    # Re-rooted searches: packages may come only from the prefix, torch and the CUDA toolkit.
    tr=$(torch_root)
    cmake -S "$root" -B "$work/verify-build" -G Ninja -DCMAKE_PREFIX_PATH="$tr/share/cmake;$prefix/usr" \
      -DCMAKE_FIND_ROOT_PATH="$prefix;$(dirname "$tr");/usr/local/cuda" -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
      -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY \
      -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER $(prefix_args) -DSPCT_BUILD_TESTS=ON
    echo "gpu-check: configure against $prefix succeeded"
    exit 0 ;;
  "") ;;
  *) echo "gpu-check: unknown option '$1' (try --prepare-only, --verify-here or none)" >&2; exit 2 ;;
esac

# On the GPU machine.
mkdir -p "$out"
{ cat /etc/os-release 2>/dev/null; ldd --version 2>&1 | head -1; nvidia-smi 2>&1 | head -15; } > "$out/machine.txt" || true
if ! compgen -G "$debs/*.deb" >/dev/null; then
  echo "gpu-check: no packages in $debs; run scripts/gpu-check.sh --prepare-only first (with network)" >&2
  exit 2
fi
unpack
python=${SPCT_TORCH_PYTHON:-python3}
# NCCL: the system's (nccl.h in the CUDA toolkit) or the one PyTorch depends on (the nvidia-nccl wheel).
nccl_args=()
nccl_dir=$("$python" -c 'import nvidia.nccl,os;print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null || true)
if [[ -n "$nccl_dir" && -f "$nccl_dir/include/nccl.h" ]]; then
  nccl_args=(-DSPCT_NCCL_INCLUDE_DIR="$nccl_dir/include" -DSPCT_NCCL_LIBRARY="$(ls "$nccl_dir"/lib/libnccl.so* | head -1)")
fi
targets=(spct spct_bench_gpu spct_nccl_tests spct_nccl_stall_program spct_gpu_models_tests spct_gpu_weight_sync_program
  spct_distributed_mpi_tests)
SPCT_TORCH_PYTHON=$python SPCT_BUILD_DIR=$work/build scripts/build.sh -DSPCT_BUILD_TESTS=ON -DSPCT_WITH_NCCL=ON \
  "${nccl_args[@]}" $(prefix_args) >/dev/null 2>"$out/configure.log" || true
cmake --build "$work/build" --parallel "$(nproc)" --target "${targets[@]}" > "$out/build.log" 2>&1 || {
  echo "gpu-check: build failed; see build.log" | tee "$out/summary.txt"; tail -30 "$out/build.log"; exit 1; }
echo "gpu-check: built in $((SECONDS - start_s)) s" | tee "$out/summary.txt"

left() { echo $((budget_s - (SECONDS - start_s))); }
# 1. The gpu tests (and the data-parallel CPU tests the hooks changed), less the 0.5B turn-taking test, run in 3.
timeout "$(( $(left) / 3 ))" ctest --test-dir "$work/build" -L gpu -E "turn-taking" --output-on-failure \
  > "$out/ctest-gpu.log" 2>&1 || true
grep -E "tests passed|tests failed|No tests" "$out/ctest-gpu.log" | tee -a "$out/summary.txt" || true
# 2. The benchmark.
timeout "$(( $(left) / 2 ))" "$work/build/bench/gpu/spct_bench_gpu" --shape qwen2.5-0.5b --device cuda \
  --out "$out/bench-gpu.json" > "$out/bench-gpu.log" 2>&1 || echo "gpu-check: benchmark failed or ran out of time" | tee -a "$out/summary.txt"
# 3. One colocated GRPO step on the GPU at the 0.5B shape with layout.take_turns on and off (a gpu test of its own):
#    each phase's peak CUDA memory, and the phase split from the runs' metrics.
timeout "$(( $(left) - 20 ))" bash "$root/tests/gpu/train/take_turns_on_gpu.sh" "$work/build/orchestrator/spct" "$out" \
  > "$out/take-turns.log" 2>&1 && echo "gpu-check: colocated turn-taking test passed" | tee -a "$out/summary.txt" ||
  { echo "gpu-check: colocated turn-taking test failed or ran out of time (take-turns.log)" | tee -a "$out/summary.txt"; }
grep -E "peak" "$out/take-turns.log" | tee -a "$out/summary.txt" || true
echo "gpu-check: done in $((SECONDS - start_s)) s" | tee -a "$out/summary.txt"
