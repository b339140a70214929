// SPCT_MPI_CHECK(call): every MPI call in spct goes through it. MPI_COMM_WORLD's error handler is set to
// MPI_ERRORS_RETURN by World, so failures come back as codes; this turns a code other than MPI_SUCCESS into a
// spct::comm::CommError "MPI_Isend(...) failed at core/comm/mpi_communicator.cpp:88: <MPI's error string>".
#pragma once

#include <mpi.h>

namespace spct::comm::detail {

// Throws CommError for `code` != MPI_SUCCESS.
void check_mpi(int code, const char* call, const char* file, int line);

}  // namespace spct::comm::detail

#define SPCT_MPI_CHECK(call) ::spct::comm::detail::check_mpi((call), #call, __FILE__, __LINE__)
