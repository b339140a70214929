// Failures of communication: a library call (MPI, NCCL, CUDA) that returned an error, or a peer that broke the
// protocol. Exit code 4 (ExitCode::kRankFailed): the job cannot continue without every rank.
#pragma once

#include <string>

#include "core/error.h"

namespace spct::comm {

class CommError : public Error {
 public:
  explicit CommError(const std::string& message) : Error(ExitCode::kRankFailed, message) {}
};

}  // namespace spct::comm
