#include "orchestrator/observe/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "orchestrator/observe/eta.h"
#include "orchestrator/run/metrics_log.h"

namespace spct::observe {
namespace {

// Erases from the cursor to the end of the line: a shorter redraw leaves no tail of the previous one.
constexpr const char* kEraseLine = "\x1b[K";
constexpr int kMinBarCells = 10;
constexpr int kMaxBarCells = 30;

const double* find_metric(const Metrics& metrics, const char* name) {
  const auto it = metrics.find(name);
  return it == metrics.end() ? nullptr : &it->second;
}

}  // namespace

ProgressStyle resolve_progress_style(config::ProgressSetting setting, bool terminal) {
  switch (setting) {
    case config::ProgressSetting::kBar: return ProgressStyle::kBar;
    case config::ProgressSetting::kLines: return ProgressStyle::kLines;
    case config::ProgressSetting::kAuto: break;
  }
  return terminal ? ProgressStyle::kBar : ProgressStyle::kLines;
}

bool stderr_is_terminal() {
  if (isatty(STDERR_FILENO) == 0) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

int stderr_terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string format_progress_line(const ProgressUpdate& update) {
  std::string line = run::MetricsLog::console_line(update.steps_done, update.total_steps, *update.metrics);
  line += " | elapsed " + format_duration(update.elapsed_s);
  if (update.eta_s) line += " | ETA " + format_duration(*update.eta_s);
  return line;
}

std::string format_progress_bar(const ProgressUpdate& update, int width) {
  const Metrics& metrics = *update.metrics;
  const double fraction =
      update.total_steps > 0
          ? std::clamp(static_cast<double>(update.steps_done) / static_cast<double>(update.total_steps), 0.0, 1.0)
          : 0.0;
  const std::string head = fmt::format("{}/{} ", update.steps_done, update.total_steps);
  const std::string percent = fmt::format(" {:3.0f}%", 100 * fraction);
  std::vector<std::string> fields;
  fields.push_back("ETA " + (update.eta_s ? format_duration(*update.eta_s) : std::string("?")));
  if (const double* mean = find_metric(metrics, "reward/mean")) fields.push_back(fmt::format("reward {:.3f}", *mean));
  if (const double* accuracy = find_metric(metrics, "verifier/accuracy")) {
    fields.push_back(fmt::format("acc {:.3f}", *accuracy));
  }
  if (const double* tokens = find_metric(metrics, "perf/tokens_per_s")) {
    fields.push_back(fmt::format("{:.0f} tok/s", *tokens));
  }
  // Fields that do not fit beside the shortest bar are dropped from the end: the least important go first.
  const int limit = std::max(1, width - 1);
  const auto fixed = static_cast<int>(head.size() + percent.size()) + 2;  // 2: the brackets
  std::string tail;
  for (const std::string& field : fields) {
    const std::string candidate = tail + " | " + field;
    if (fixed + kMinBarCells + static_cast<int>(candidate.size()) > limit) break;
    tail = candidate;
  }
  const int cells = std::clamp(limit - fixed - static_cast<int>(tail.size()), kMinBarCells, kMaxBarCells);
  const int filled = static_cast<int>(fraction * cells);
  std::string line = head + "[" + std::string(filled, '#') + std::string(cells - filled, '-') + "]" + percent + tail;
  if (static_cast<int>(line.size()) > limit) line.resize(limit);
  return line;
}

ProgressReporter::ProgressReporter(const Options& options, Writer writer)
    : options_(options), writer_(std::move(writer)) {}

bool ProgressReporter::line_due(const ProgressUpdate& update) const {
  if (!last_line_steps_ || update.steps_done >= update.total_steps) return true;
  if (update.steps_done - *last_line_steps_ >= options_.every_steps) return true;
  return options_.every_s > 0 && update.elapsed_s - last_line_s_ >= options_.every_s;
}

void ProgressReporter::update(const ProgressUpdate& update) {
  if (options_.style == ProgressStyle::kBar) {
    writer_("\r" + format_progress_bar(update, options_.width) + kEraseLine);
    bar_drawn_ = true;
    return;
  }
  if (!line_due(update)) return;
  writer_(format_progress_line(update));
  last_line_steps_ = update.steps_done;
  last_line_s_ = update.elapsed_s;
}

void ProgressReporter::finish(std::string_view state, int64_t steps_done, int64_t total_steps, double elapsed_s) {
  const std::string summary =
      fmt::format("{}: {}/{} steps in {}", state, steps_done, total_steps, format_duration(elapsed_s));
  if (options_.style == ProgressStyle::kLines) {
    writer_(summary);
    return;
  }
  writer_((bar_drawn_ ? "\n" : "") + summary + "\n");
  bar_drawn_ = false;
}

}  // namespace spct::observe
