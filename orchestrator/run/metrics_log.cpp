#include "orchestrator/run/metrics_log.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace spct::run {

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) throw Error(ExitCode::kFailure, "cannot open metrics file " + path);
}

void MetricsLog::write(int64_t step, const Metrics& metrics) {
  nlohmann::json line = {{"step", step}};
  for (const auto& [name, value] : metrics) {
    // JSON has no NaN or infinity; write null so that the line stays valid and the gap is visible.
    line[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  out_ << line.dump() << '\n';
  out_.flush();
  if (!out_) throw Error(ExitCode::kFailure, "cannot write metrics to " + path_);
}

uint64_t MetricsLog::size_bytes() const {
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(path_, error);
  if (error) throw Error(ExitCode::kFailure, "cannot read the size of " + path_ + ": " + error.message());
  return size;
}

std::string MetricsLog::console_line(int64_t step, int64_t total_steps, const Metrics& metrics) {
  const auto get = [&](const std::string& key) -> const double* {
    const auto it = metrics.find(key);
    return it == metrics.end() ? nullptr : &it->second;
  };
  std::string line = fmt::format("step {}/{}", step, total_steps);
  if (const double* mean = get("reward/mean")) {
    line += fmt::format(" | reward {:.3f}", *mean);
    if (const double* std = get("reward/std")) line += fmt::format(" ±{:.3f}", *std);
  }
  if (const double* accuracy = get("verifier/accuracy")) line += fmt::format(" | acc {:.3f}", *accuracy);
  if (const double* kl = get("loss/kl")) line += fmt::format(" | kl {:.4f}", *kl);
  if (const double* length = get("response/length_mean")) line += fmt::format(" | len {:.1f}", *length);
  if (const double* tokens = get("perf/tokens_per_s")) line += fmt::format(" | {:.0f} tok/s", *tokens);
  if (const double* seconds = get("time/step_s")) line += fmt::format(" | {:.2f} s", *seconds);
  return line;
}

}  // namespace spct::run
