// Progress output of the orchestrator while a run trains.
//
// Two styles, because a terminal and a log file want different things:
//   bar    one line redrawn in place ("\r", then erase to the end of the line): step/total, a bar, percent, ETA,
//          reward mean, accuracy and tokens/s, cut to the terminal's width. For a person watching a terminal.
//   lines  plain lines with no carriage return or escape sequence, at most every `every_steps` steps or
//          `every_s` seconds (plus the first and the last step). For SLURM logs and CI, where a redrawn line
//          would become thousands of lines or one unreadable one.
// observe.progress = auto picks bar when stderr is a terminal, lines otherwise.
//
// The reporter only formats and decides when to write; where text goes is the Writer's business (the run
// monitor writes bar text to stderr and lines through the logger), so tests capture it.
//
// Thread safety: a ProgressReporter is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/choices.h"
#include "core/metrics.h"

namespace spct::observe {

enum class ProgressStyle { kBar, kLines };

// The style for an observe.progress setting; kAuto is kBar exactly when `terminal`.
ProgressStyle resolve_progress_style(config::ProgressSetting setting, bool terminal);

// True when stderr is a terminal that honours "\r" and erase-line (TERM is not "dumb").
bool stderr_is_terminal();

// Columns of the terminal on stderr; 80 when it cannot be asked.
int stderr_terminal_width();

// Where a run stands after a step.
struct ProgressUpdate {
  int64_t steps_done = 0;  // steps finished, counting from the run's first step (resumed runs included)
  int64_t total_steps = 0;
  double elapsed_s = 0;              // since the monitor started
  std::optional<double> eta_s;       // nothing until it can be estimated
  const Metrics* metrics = nullptr;  // the step's metrics; REQUIRES: non-null
};

// "step 12/40 | reward 0.410 ±0.300 | acc 0.380 | ... | 1.90 s | elapsed 22s | ETA 1m05s" (lines style).
std::string format_progress_line(const ProgressUpdate& update);

// "12/40 [######--------------]  30% | ETA 1m05s | reward 0.410 | acc 0.380 | 812 tok/s", at most `width - 1`
// characters so that the terminal never wraps it (bar style; no "\r" or escape codes).
std::string format_progress_bar(const ProgressUpdate& update, int width);

class ProgressReporter {
 public:
  // Receives text to show verbatim: in bar style with its "\r", erase-line and final newline; in lines style
  // one line at a time without a newline.
  using Writer = std::function<void(const std::string& text)>;

  struct Options {
    ProgressStyle style = ProgressStyle::kLines;
    int64_t every_steps = 10;  // lines style; REQUIRES: >= 1
    double every_s = 60;       // lines style; 0 = by steps only
    int width = 80;            // bar style: terminal columns
  };

  ProgressReporter(const Options& options, Writer writer);

  // Shows `update` now (bar style: always; lines style: when it is due).
  void update(const ProgressUpdate& update);

  // Ends the output: "finished: 40/40 steps in 1m20s" with `state` in place of "finished"; in bar style it first
  // ends the redrawn line.
  void finish(std::string_view state, int64_t steps_done, int64_t total_steps, double elapsed_s);

 private:
  bool line_due(const ProgressUpdate& update) const;

  const Options options_;
  const Writer writer_;
  bool bar_drawn_ = false;
  std::optional<int64_t> last_line_steps_;
  double last_line_s_ = 0;
};

}  // namespace spct::observe
