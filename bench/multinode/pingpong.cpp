// Point-to-point cost between two MPI ranks: the median round trip of a message of each size, bounced back and
// forth, so that a model can split a message's time into a fixed per-message cost and a per-byte cost
// (docs/scaling.md). Built and run by pingpong.sh (over the namespace hosts' TCP, and on one host over shared
// memory). Prints "bytes one_way_us MB_per_s" per size, from rank 0.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 200;
  std::vector<char> buffer(64u << 20);
  for (long bytes = 8; bytes <= (64L << 20); bytes *= 8) {
    // Fewer repeats for the large sizes, which take milliseconds each.
    const int count = bytes >= (1L << 20) ? std::max(5, repeats / 20) : repeats;
    std::vector<double> trips;
    for (int i = 0; i <= count; ++i) {  // the first round trip warms up the connection and is dropped
      MPI_Barrier(MPI_COMM_WORLD);
      const double start = MPI_Wtime();
      if (rank == 0) {
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      }
      if (i > 0) trips.push_back(MPI_Wtime() - start);
    }
    std::nth_element(trips.begin(), trips.begin() + static_cast<long>(trips.size() / 2), trips.end());
    const double one_way_s = trips[trips.size() / 2] / 2;
    if (rank == 0) std::printf("%ld %.1f %.1f\n", bytes, one_way_s * 1e6, static_cast<double>(bytes) / one_way_s / 1e6);
  }
  MPI_Finalize();
  return 0;
}
