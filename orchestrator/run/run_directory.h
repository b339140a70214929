// One directory per run, `<run.dir>/<run.name>/`, holding everything the run writes:
//   config.yaml     the resolved config (reloadable by spct), with its hash in config.hash
//   metrics.jsonl   one JSON object per step (docs/metrics.md names every key)
//   status.json     state (running / finished / failed / checkpointed), last step, total steps, host and pid
//                   of the orchestrator, updated atomically
//   checkpoints/    written by the checkpoint machinery (core/checkpoint/checkpoint_store.h)
//   model/          the final policy in Hugging Face format, once the run has finished
// A run never overwrites another run: creating a run where one already exists is refused; only a resumed run
// (orchestrator/train/resume.h) reopens its own directory.
#pragma once

#include <string>

#include "core/config/loader.h"

namespace spct::run {

class RunDirectory {
 public:
  // Creates the directory and writes config.yaml and config.hash. Throws spct::UsageError when the directory
  // already holds a run, spct::Error when it cannot be written.
  static RunDirectory create(const config::ResolvedConfig& resolved);

  // Reopens the directory of an earlier attempt of this run (resume.h decided that it is one): config.yaml and
  // config.hash are rewritten with `resolved` (which may differ in keys that do not define the experiment).
  static RunDirectory reopen(const config::ResolvedConfig& resolved);

  // Throws spct::UsageError when create() would refuse: checked before a job starts its ranks.
  static void check_available(const config::Config& config);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Rewrites status.json atomically (temp file + rename):
  // {"state": ..., "step": ..., "total_steps": ..., "host": ..., "pid": ..., "updated_unix_s": ..., "message": ...}.
  void write_status(const std::string& state, int64_t step, const std::string& message = "") const;

  // Whether the run directory of `config` says (status.json) that it finished at run.steps or later: written
  // once the model is exported. Reads only.
  static bool finished(const config::Config& config);

  // write_status("failed", step, message) with the step the current status.json records (0 when it has none):
  // a run that fails keeps showing how far it got.
  void write_failed(const std::string& message) const;

  // Cuts metrics.jsonl to its first `keep_bytes` bytes (the length a checkpoint recorded); the lines cut off,
  // written by an attempt that did not reach its next checkpoint, are appended to metrics.discarded.jsonl so
  // nothing written is lost. Throws spct::Error when a file cannot be rewritten.
  void truncate_metrics(uint64_t keep_bytes) const;

 private:
  RunDirectory(std::string path, int64_t total_steps) : path_(std::move(path)), total_steps_(total_steps) {}
  void write_config(const config::ResolvedConfig& resolved) const;

  std::string path_;
  int64_t total_steps_ = 0;
};

}  // namespace spct::run
