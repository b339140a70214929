// The Catch2 main of MPI test executables: every rank runs the same test cases, then the ranks agree on the
// outcome (a failure on any rank fails the job on every rank), so mpiexec's exit status is the verdict.
#define CATCH_CONFIG_RUNNER
#include <mpi.h>

#include <catch2/catch.hpp>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  const int failed_here = Catch::Session().run(argc, argv) != 0 ? 1 : 0;
  int failed_anywhere = 0;
  MPI_Allreduce(&failed_here, &failed_anywhere, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (failed_anywhere && !failed_here) std::fprintf(stderr, "rank %d: passed here, but another rank failed\n", rank);
  MPI_Finalize();
  return failed_anywhere;
}
