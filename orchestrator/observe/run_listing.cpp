#include "orchestrator/observe/run_listing.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "orchestrator/observe/process.h"

namespace spct::observe {
namespace fs = std::filesystem;
namespace {

// Metrics lines are a few kilobytes; the last complete one is within this many bytes of the end.
constexpr std::streamoff kTailBytes = 1 << 20;
// <dir>/<pipeline>/<stage>: deeper directories are not searched.
constexpr int kMaxDepth = 2;

bool is_run_directory(const fs::path& dir) {
  std::error_code error;
  for (const char* file : {"status.json", "metrics.jsonl", "config.yaml"}) {
    if (fs::is_regular_file(dir / file, error)) return true;
  }
  return false;
}

std::optional<double> modified_unix(const fs::path& file) {
  std::error_code error;
  const fs::file_time_type time = fs::last_write_time(file, error);
  if (error) return std::nullopt;
  const auto system = fs::file_time_type::clock::to_sys(time);
  return std::chrono::duration<double>(system.time_since_epoch()).count();
}

std::optional<int64_t> integer_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// Fills state, reason, steps_done and total_steps from status.json; a run without a readable one is "unknown".
void read_status(const fs::path& dir, RunSummary& run) {
  const fs::path file = dir / "status.json";
  std::ifstream in(file);
  if (!in) {
    run.state = "unknown";
    run.reason = "no status.json";
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json status = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded() || !status.is_object()) {
    run.state = "unknown";
    run.reason = text.str().empty() ? "status.json is empty" : "status.json is not a JSON object";
    return;
  }
  const auto state = status.find("state");
  if (state == status.end() || !state->is_string() || state->get<std::string>().empty()) {
    run.state = "unknown";
    run.reason = "status.json has no \"state\" string";
    return;
  }
  run.state = state->get<std::string>();
  run.steps_done = integer_field(status, "step");
  run.total_steps = integer_field(status, "total_steps");
  if (const auto message = status.find("message"); message != status.end() && message->is_string()) {
    run.reason = message->get<std::string>();
  }
  // A running run's process, when recorded, tells whether it is really still running.
  const std::optional<int64_t> pid = integer_field(status, "pid");
  const auto host = status.find("host");
  if (run.state == "running" && pid && *pid > 0 && host != status.end() && host->is_string() &&
      host->get<std::string>() == this_host() && !process_may_exist(*pid)) {
    run.state = "stale";
    run.reason = fmt::format("status says running but process {} on {} is gone", *pid, host->get<std::string>());
  }
}

void read_last_metrics(const fs::path& dir, RunSummary& run) {
  const std::optional<std::string> line = last_json_line((dir / "metrics.jsonl").string());
  if (!line) return;
  const nlohmann::json metrics = nlohmann::json::parse(*line);
  for (const auto& [key, value] : metrics.items()) {
    if (key == "step" && value.is_number_integer()) {
      run.last_step = value.get<int64_t>();
    } else if (value.is_number()) {
      run.last_metrics[key] = value.get<double>();
    }
  }
  if (!run.steps_done && run.last_step) run.steps_done = *run.last_step + 1;
}

void collect(const fs::path& root, const fs::path& dir, int depth, std::vector<RunSummary>& out) {
  if (is_run_directory(dir)) {
    const std::string name = dir == root ? "." : fs::relative(dir, root).string();
    out.push_back(read_run(dir.string(), name));
    return;
  }
  if (depth == kMaxDepth) return;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error)) collect(root, it->path(), depth + 1, out);
  }
}

}  // namespace

std::optional<std::string> last_json_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kTailBytes);
  in.seekg(start);
  std::string tail(static_cast<std::size_t>(size - start), '\0');
  if (!in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) return std::nullopt;
  std::size_t end = tail.size();
  while (end > 0) {
    const std::size_t newline = tail.rfind('\n', end - 1);
    const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
    const std::string_view line = std::string_view(tail).substr(begin, end - begin);
    if (!line.empty()) {
      const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded() && parsed.is_object()) return std::string(line);
    }
    if (newline == std::string::npos) break;
    end = newline;
  }
  return std::nullopt;
}

RunSummary read_run(const std::string& path, const std::string& name) {
  RunSummary run;
  run.name = name;
  run.path = path;
  read_status(path, run);
  read_last_metrics(path, run);
  for (const char* file : {"status.json", "metrics.jsonl"}) {
    const std::optional<double> time = modified_unix(fs::path(path) / file);
    if (time && (!run.updated_unix || *time > *run.updated_unix)) run.updated_unix = time;
  }
  return run;
}

std::vector<RunSummary> list_runs(const std::string& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) throw UsageError("spct runs: directory '" + dir + "' does not exist");
  if (!fs::is_directory(dir, error)) throw UsageError("spct runs: '" + dir + "' is not a directory");
  std::vector<RunSummary> runs;
  collect(fs::path(dir), fs::path(dir), 0, runs);
  std::sort(runs.begin(), runs.end(), [](const RunSummary& a, const RunSummary& b) { return a.name < b.name; });
  return runs;
}

}  // namespace spct::observe
