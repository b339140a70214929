// What observing a run costs the orchestrator per step, and how long `spct runs` takes over many runs.
// Usage: bench_observe [runs=300] [lines_per_run=2000]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "orchestrator/observe/event_file.h"
#include "orchestrator/observe/progress.h"
#include "orchestrator/observe/run_listing.h"
#include "orchestrator/observe/run_status.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using spct::Metrics;

// The metric names of a GRPO step (docs/metrics.md) with the GRM's: about 40 scalars.
Metrics step_metrics(int64_t step) {
  Metrics metrics;
  const char* names[] = {"reward/mean",
                         "reward/std",
                         "reward/zero_std_groups",
                         "reward/exact_match/mean",
                         "verifier/accuracy",
                         "response/length_mean",
                         "response/length_max",
                         "response/truncation_rate",
                         "policy/version_lag",
                         "batch/groups_trained",
                         "batch/refill_rounds",
                         "loss/total",
                         "loss/policy",
                         "loss/kl",
                         "loss/kl_in_reward",
                         "loss/beta",
                         "loss/entropy",
                         "loss/clip_fraction_low",
                         "loss/clip_fraction_high",
                         "loss/ratio_mean",
                         "loss/ratio_min",
                         "loss/ratio_max",
                         "optim/grad_norm",
                         "optim/lr",
                         "learner/tokens",
                         "learner/count",
                         "perf/tokens_per_s",
                         "time/generate_s",
                         "time/reward_s",
                         "time/learn_s",
                         "time/sync_s",
                         "time/other_s",
                         "time/step_s",
                         "grm/parse_failures",
                         "grm/samples",
                         "grm/vote_margin",
                         "grm/meta_kept",
                         "grm/calls",
                         "grm/retries",
                         "grm/fallbacks"};
  for (std::size_t i = 0; i < std::size(names); ++i) metrics[names[i]] = 0.001 * static_cast<double>(step + i);
  return metrics;
}

// Microseconds per call of `body` over `calls` calls.
double micros_per_call(int calls, const std::function<void(int)>& body) {
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < calls; ++i) body(i);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 300;
  const int lines_per_run = argc > 2 ? std::atoi(argv[2]) : 2000;
  const fs::path dir = fs::temp_directory_path() / fmt::format("spct-bench-observe-{}", std::random_device{}());
  fs::create_directories(dir);

  const Metrics metrics = step_metrics(7);
  fmt::print("per step, {} metrics:\n", metrics.size());
  {
    spct::observe::EventFileWriter writer((dir / "tb").string(), 1.0);
    const int steps = 2000;
    const double us = micros_per_call(steps, [&](int step) { writer.write_scalars(step, 2.0 + step, metrics); });
    fmt::print("  TensorBoard event (serialize, frame, CRC, flush): {:8.1f} us  ({} bytes per step)\n", us,
               fs::file_size(writer.path()) / steps);
  }
  spct::observe::RunStatus status;
  status.run = "bench";
  status.steps_done = 12;
  status.total_steps = 40;
  status.metrics = metrics;
  std::size_t bytes = 0;
  double us = micros_per_call(2000, [&](int) { bytes = spct::observe::prometheus_text(status).size(); });
  fmt::print("  /metrics body (Prometheus text):                  {:8.1f} us  ({} bytes)\n", us, bytes);
  us = micros_per_call(2000, [&](int) { bytes = spct::observe::status_json(status).size(); });
  fmt::print("  /status body (JSON):                              {:8.1f} us  ({} bytes)\n", us, bytes);
  spct::observe::ProgressUpdate update{12, 40, 30, 65.0, &metrics};
  us = micros_per_call(20000, [&](int) { bytes = spct::observe::format_progress_line(update).size(); });
  fmt::print("  progress line:                                    {:8.1f} us\n", us);
  us = micros_per_call(20000, [&](int) { bytes = spct::observe::format_progress_bar(update, 120).size(); });
  fmt::print("  progress bar:                                     {:8.1f} us\n", us);

  // spct runs: `runs` run directories, each with status.json and a metrics.jsonl of `lines_per_run` lines.
  std::string metrics_text;
  for (int step = 0; step < lines_per_run; ++step) {
    nlohmann::json line = step_metrics(step);
    line["step"] = step;
    metrics_text += line.dump() + "\n";
  }
  for (int r = 0; r < runs; ++r) {
    const fs::path run = dir / "runs" / fmt::format("sweep-{}", r / 10) / fmt::format("stage-{}", r % 10);
    fs::create_directories(run);
    std::ofstream(run / "status.json") << R"({"state":"finished","step":)" << lines_per_run << "}\n";
    std::ofstream(run / "metrics.jsonl") << metrics_text;
  }
  const Clock::time_point start = Clock::now();
  const std::vector<spct::observe::RunSummary> listed = spct::observe::list_runs((dir / "runs").string());
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  fmt::print("spct runs: {} runs ({:.1f} MB of metrics each) listed in {:.1f} ms ({:.2f} ms per run)\n", listed.size(),
             static_cast<double>(metrics_text.size()) / 1e6, ms, ms / static_cast<double>(listed.size()));
  fs::remove_all(dir);
  return listed.size() == static_cast<std::size_t>(runs) ? 0 : 1;
}
