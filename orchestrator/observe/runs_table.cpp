#include "orchestrator/observe/runs_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "orchestrator/observe/eta.h"

namespace spct::observe {
namespace {

constexpr std::size_t kColumns = 9;
using Row = std::array<std::string, kColumns>;

std::string metric_cell(const Metrics& metrics, const char* name, const char* format) {
  const auto it = metrics.find(name);
  return it == metrics.end() ? "-" : fmt::format(fmt::runtime(format), it->second);
}

Row row_of(const RunSummary& run, double now_unix) {
  std::string step = "-";
  if (run.steps_done)
    step = run.total_steps ? fmt::format("{}/{}", *run.steps_done, *run.total_steps) : std::to_string(*run.steps_done);
  const std::string updated =
      run.updated_unix ? format_duration(std::max(0.0, now_unix - *run.updated_unix)) + " ago" : "-";
  return {run.name,
          run.state,
          step,
          metric_cell(run.last_metrics, "reward/mean", "{:.3f}"),
          metric_cell(run.last_metrics, "verifier/accuracy", "{:.3f}"),
          metric_cell(run.last_metrics, "loss/kl", "{:.4f}"),
          metric_cell(run.last_metrics, "perf/tokens_per_s", "{:.0f}"),
          updated,
          run.reason.empty() ? "-" : run.reason};
}

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_runs_table(const std::vector<RunSummary>& runs, double now_unix) {
  if (runs.empty()) return "";
  std::vector<Row> rows = {{"RUN", "STATE", "STEP", "REWARD", "ACC", "KL", "TOK/S", "UPDATED", "NOTE"}};
  rows.reserve(runs.size() + 1);
  for (const RunSummary& run : runs) rows.push_back(row_of(run, now_unix));
  std::array<std::size_t, kColumns> widths{};
  for (const Row& row : rows) {
    for (std::size_t c = 0; c < kColumns; ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < kColumns; ++c) {
      // The last column is not padded, so lines carry no trailing spaces.
      line += c + 1 == kColumns ? row[c] : fmt::format("{:<{}}  ", row[c], widths[c]);
    }
    out += line + "\n";
  }
  return out;
}

std::string runs_json(const std::vector<RunSummary>& runs) {
  nlohmann::json array = nlohmann::json::array();
  for (const RunSummary& run : runs) {
    array.push_back({{"name", run.name},
                     {"path", run.path},
                     {"state", run.state},
                     {"reason", run.reason},
                     {"steps_done", or_null(run.steps_done)},
                     {"total_steps", or_null(run.total_steps)},
                     {"last_step", or_null(run.last_step)},
                     {"updated_unix", or_null(run.updated_unix)},
                     {"metrics", run.last_metrics}});
  }
  return array.dump(2) + "\n";
}

}  // namespace spct::observe
