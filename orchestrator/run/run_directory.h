// One directory per run, `<run.dir>/<run.name>/`, holding everything the run writes:
//   config.yaml     the resolved config (reloadable by spct), with its hash in config.hash
//   metrics.jsonl   one JSON object per step (docs/metrics.md names every key)
//   status.json     state (running / finished / failed), last step, updated atomically
//   checkpoints/    written by the checkpoint machinery
// A run never overwrites another run: creating a run where one already exists is refused.
#pragma once

#include <string>

#include "core/config/loader.h"

namespace spct::run {

class RunDirectory {
 public:
  // Creates the directory and writes config.yaml and config.hash. Throws spct::UsageError when the directory
  // already holds a run, spct::Error when it cannot be written.
  static RunDirectory create(const config::ResolvedConfig& resolved);

  // Throws spct::UsageError when create() would refuse: checked before a job starts its ranks.
  static void check_available(const config::Config& config);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Rewrites status.json atomically (temp file + rename): {"state": ..., "step": ..., "message": ...}.
  void write_status(const std::string& state, int64_t step, const std::string& message = "") const;

 private:
  explicit RunDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace spct::run
