#include "core/comm/mpi_check.h"

#include <fmt/format.h>

#include "core/comm/comm_error.h"

namespace spct::comm::detail {

void check_mpi(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  // The error string is a courtesy; if MPI cannot produce it, the code alone still identifies the failure.
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw CommError(fmt::format("{} failed at {}:{}: {} (MPI error {})", call, file, line,
                              length > 0 ? std::string(text, static_cast<size_t>(length)) : "unknown error", code));
}

}  // namespace spct::comm::detail
