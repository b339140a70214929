# Optional NCCL communicator. SPCT_WITH_NCCL=AUTO turns it on only when the CUDA toolkit, NCCL and a
# CUDA-enabled LibTorch are all found. ON needs only the toolkit and NCCL (a missing one is a configure error):
# the communicator works on device pointers, so it compiles and links against a CPU LibTorch too, which is how
# GPU-less CI checks it; running it on CUDA tensors needs a CUDA LibTorch. OFF skips the search.
# Result: SPCT_HAVE_NCCL (bool) and, when true, the IMPORTED target spct::nccl.

set(SPCT_HAVE_NCCL OFF)
if(NOT SPCT_WITH_NCCL STREQUAL "OFF")
  find_package(CUDAToolkit QUIET)
  set(NCCL_HOME "${CUDAToolkit_LIBRARY_ROOT}" CACHE PATH "Where NCCL is installed (include/nccl.h, lib/libnccl.so)")
  find_path(SPCT_NCCL_INCLUDE_DIR nccl.h HINTS ${NCCL_HOME} ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
  find_library(SPCT_NCCL_LIBRARY nccl HINTS ${NCCL_HOME} ${CUDAToolkit_LIBRARY_DIR} PATH_SUFFIXES lib lib64)
  # Debian's LibTorch is CPU-only; a CUDA LibTorch defines CAFFE2_USE_CUDA / exports the c10_cuda library.
  set(_spct_torch_cuda OFF)
  if(TARGET c10_cuda OR TORCH_LIBRARIES MATCHES "c10_cuda")
    set(_spct_torch_cuda ON)
  endif()
  set(_spct_missing "")
  if(NOT CUDAToolkit_FOUND)
    list(APPEND _spct_missing "CUDA toolkit")
  endif()
  if(NOT SPCT_NCCL_INCLUDE_DIR OR NOT SPCT_NCCL_LIBRARY)
    list(APPEND _spct_missing "NCCL (set NCCL_HOME)")
  endif()
  if(NOT _spct_torch_cuda AND SPCT_WITH_NCCL STREQUAL "AUTO")
    list(APPEND _spct_missing "a CUDA-enabled LibTorch")
  endif()
  if(_spct_missing STREQUAL "")
    set(SPCT_HAVE_NCCL ON)
    add_library(spct::nccl UNKNOWN IMPORTED)
    set_target_properties(spct::nccl PROPERTIES IMPORTED_LOCATION ${SPCT_NCCL_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${SPCT_NCCL_INCLUDE_DIR}
      INTERFACE_LINK_LIBRARIES CUDA::cudart)
    if(NOT _spct_torch_cuda)
      message(WARNING "spct: NCCL communicator built against a CPU-only LibTorch: it links, but cannot run on CUDA tensors")
    endif()
  elseif(SPCT_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "SPCT_WITH_NCCL=ON but missing: ${_spct_missing}")
  endif()
endif()
message(STATUS "spct: NCCL communicator ${SPCT_HAVE_NCCL} (SPCT_WITH_NCCL=${SPCT_WITH_NCCL})")
