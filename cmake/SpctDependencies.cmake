# Third-party packages: LibTorch from PyTorch's torch wheel (scripts/install-python.sh; scripts/build.sh puts its
# cmake prefix path on CMAKE_PREFIX_PATH), everything else from Debian's archive (scripts/install-deps.sh).
# Third-party headers are included as SYSTEM so that our warning flags do not apply to them.

find_package(Threads REQUIRED)
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(yaml-cpp REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# TensorBoard event files (orchestrator/observe): Event protos from a minimal .proto, compiled by protoc.
find_package(Protobuf 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# Rollout logs (orchestrator/observe/rollout_log_*): zstd-compressed JSON lines.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)

# The wheel's LibTorch is a CUDA build: its CMake package sets up CUDA and, unless TORCH_CUDA_ARCH_LIST names
# the GPU architectures, probes the installed GPUs with a CUDA try_run (which fails on GPU-less machines, and
# under C++20 with this CMake). spct compiles no CUDA kernels of its own, so the list only silences the probe:
# A100 and H100.
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(ENV{TORCH_CUDA_ARCH_LIST} "8.0;9.0")
endif()
find_package(Torch REQUIRED)
# The wheel's include/ also holds its own copies of fmt (12) and protobuf, which would shadow the Debian ones
# (fmt 9, protobuf 3.21) that spdlog, libfmt and the TensorBoard writer are built against: a silent ABI mismatch.
# Expose only PyTorch's own headers (ATen, c10, torch, caffe2) through a directory of links, on every imported
# torch target.
set(_spct_torch_headers ${CMAKE_BINARY_DIR}/torch-include)
file(MAKE_DIRECTORY ${_spct_torch_headers})
foreach(_dir ATen c10 torch caffe2)
  file(CREATE_LINK ${TORCH_INSTALL_PREFIX}/include/${_dir} ${_spct_torch_headers}/${_dir} SYMBOLIC)
endforeach()
set(TORCH_INCLUDE_DIRS ${_spct_torch_headers} ${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include)
foreach(_target c10 c10_cuda torch_cpu torch_cuda torch)
  if(TARGET ${_target})
    set_target_properties(${_target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${TORCH_INCLUDE_DIRS}"
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "")
  endif()
endforeach()
# spct's own CPU loops (learner/adamw_cpu.cpp, models/greedy_cpu.cpp, models/inverse_cdf_cpu.cpp) split their work
# with ATen's at::parallel_for, whose parallel regions are OpenMP pragmas in ATen's headers: they compile with
# -fopenmp and link the OpenMP runtime LibTorch itself uses (the wheel ships libgomp.so.1 beside libtorch_cpu), so
# one runtime, one thread pool and one wait policy (orchestrator/run/openmp_wait_policy.h) serve both. Without a
# shipped one, the compiler's.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_library(SPCT_TORCH_OPENMP NAMES libgomp.so.1 PATHS ${TORCH_INSTALL_PREFIX}/lib NO_DEFAULT_PATH)
add_library(spct_openmp INTERFACE)
add_library(spct::openmp ALIAS spct_openmp)
target_compile_options(spct_openmp INTERFACE ${OpenMP_CXX_FLAGS})
if(SPCT_TORCH_OPENMP)
  target_link_libraries(spct_openmp INTERFACE ${SPCT_TORCH_OPENMP})
else()
  target_link_libraries(spct_openmp INTERFACE OpenMP::OpenMP_CXX)
endif()
# TorchConfig adds its flags to TORCH_CXX_FLAGS and its libraries to an IMPORTED "torch" target; wrap it so
# that torch headers are SYSTEM includes (they trigger -Wshadow and -Wpedantic warnings we cannot fix).
add_library(spct_torch INTERFACE)
add_library(spct::torch ALIAS spct_torch)
target_link_libraries(spct_torch INTERFACE ${TORCH_LIBRARIES})
# The wheel's libtorch.so was built with a newer libstdc++ than Debian's and carries (and exports) its own copies
# of some library functions, e.g. std::filesystem::remove_all, whose copies call through unresolved weak symbols:
# a program that finds them there before libstdc++ jumps to address 0. Name libstdc++ first among every torch
# program's shared libraries, so that the dynamic linker resolves the standard library to the system's own.
target_link_options(spct_torch INTERFACE "LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state")
target_include_directories(spct_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_spct_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(spct_torch INTERFACE ${_spct_torch_flags})
endif()
