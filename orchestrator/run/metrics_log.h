// Per-step metrics: one JSON object per line in <run>/metrics.jsonl (flushed every step, so a killed run keeps
// every completed step), and a compact line on the console. Metric names are documented in docs/metrics.md.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "core/metrics.h"

namespace spct::run {

class MetricsLog {
 public:
  // Opens (appends to) `path`. Throws spct::Error when it cannot.
  explicit MetricsLog(const std::string& path);

  // Appends {"step": step, <metrics...>} and flushes it to the OS.
  void write(int64_t step, const Metrics& metrics);

  // The file's length in bytes after the last write (what a checkpoint records to cut the file at on resume).
  uint64_t size_bytes() const;

  // "step 12/40 | reward 0.41 ±0.30 | acc 0.38 | kl 0.0021 | 812 tok/s | 1.9 s" from the keys present.
  static std::string console_line(int64_t step, int64_t total_steps, const Metrics& metrics);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace spct::run
