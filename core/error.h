// Typed exceptions for expected failures. Each carries the exit code the process should end with and a
// message that names what is wrong and where (config key and line, file and offset, rank and phase).
// Entry points (main, thread bodies) catch spct::Error, print what(), and exit with code(); anything else
// that escapes is a bug and exits with ExitCode::kFailure.
#pragma once

#include <stdexcept>
#include <string>

#include "core/exit_codes.h"

namespace spct {

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad command line or experiment config (exit 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

// A malformed input file: dataset, model, tokenizer or checkpoint (exit 3).
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::kBadInput, message) {}
};

// Not a failure: the run stopped on a signal after writing a checkpoint and should be started again (exit 75).
// main() prints the message, when there is one, without calling it an error.
class Checkpointed : public Error {
 public:
  explicit Checkpointed(const std::string& message) : Error(ExitCode::kCheckpointed, message) {}
};

}  // namespace spct
