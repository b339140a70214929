// Writes a run's rollout log (rollout_log_files.h names the files, rollout_record.h the lines): every
// observe.rollout_log_every steps, one file holding one JSON line per completion of the step.
//
// A step's file is written whole at the end of the step, to `<name>.tmp`, then renamed: a kill leaves either the
// complete file or a `.tmp` the reader ignores (and a resume moves aside), never a half line.
//
// Size bounds, on the JSON bytes (before compression: what a reader gets back, and what zstd's frame header
// records, so a resumed run counts the kept files without decompressing them):
//   max_file_bytes  a step's records stop at the first that would take its file past the bound;
//   max_run_bytes   the same over every file of the run (those already in the directory count).
// The first record that does not fit and every record after it are dropped and counted (StepLog::dropped, the
// rollouts/records_dropped metric): for the file bound, the rest of the step; for the run bound, the rest of the
// run (this writer's). Each bound is warned about once. A bound never fails the run.
//
// Thread safety: used by one thread (the step loop).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "orchestrator/observe/rollout_record.h"

namespace spct::observe {

struct RolloutLogOptions {
  int64_t every = 10;  // 0 = off
  bool compress = true;
  int64_t max_file_bytes = int64_t{64} << 20;
  int64_t max_run_bytes = int64_t{1} << 30;
};

class RolloutLogWriter {
 public:
  // Writes into `dir` (created on the first write). Counts the JSON bytes of the step files already there
  // against max_run_bytes. Throws spct::InputError when one of them is unreadable.
  RolloutLogWriter(std::filesystem::path dir, const RolloutLogOptions& options);

  // True when step `step` (0-based) is logged: every > 0 and step % every == 0.
  bool due(int64_t step) const;

  struct StepLog {
    std::filesystem::path path;  // empty when no record fitted (no file is written)
    int64_t written = 0;         // records in the file
    int64_t dropped = 0;         // records left out by a bound
    int64_t json_bytes = 0;      // JSON bytes in the file
    int64_t file_bytes = 0;      // bytes on disk (compressed)
  };

  // Writes the step's file as above. Throws spct::Error naming the file when it cannot be written.
  StepLog write_step(int64_t step, const std::vector<RolloutRecord>& records);

  int64_t run_bytes() const { return run_bytes_; }

 private:
  std::filesystem::path dir_;
  RolloutLogOptions options_;
  int64_t run_bytes_ = 0;
  bool warned_file_ = false;
  bool run_full_ = false;  // max_run_bytes reached: nothing more is written
};

}  // namespace spct::observe
