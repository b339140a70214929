// Progress output: style choice, ETA, when lines are due, and what a bar and a line look like.
#include "orchestrator/observe/progress.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "orchestrator/observe/eta.h"

namespace spct::observe {
namespace {

const Metrics kMetrics = {{"reward/mean", 0.41},
                          {"reward/std", 0.3},
                          {"verifier/accuracy", 0.38},
                          {"perf/tokens_per_s", 812.4},
                          {"time/step_s", 1.9}};

ProgressUpdate at(int64_t done, int64_t total, double elapsed, std::optional<double> eta = std::nullopt) {
  ProgressUpdate update;
  update.steps_done = done;
  update.total_steps = total;
  update.elapsed_s = elapsed;
  update.eta_s = eta;
  update.metrics = &kMetrics;
  return update;
}

}  // namespace

TEST_CASE("observe.progress auto follows the terminal") {
  using spct::config::ProgressSetting;
  CHECK(resolve_progress_style(ProgressSetting::kAuto, true) == ProgressStyle::kBar);
  CHECK(resolve_progress_style(ProgressSetting::kAuto, false) == ProgressStyle::kLines);
  CHECK(resolve_progress_style(ProgressSetting::kBar, false) == ProgressStyle::kBar);
  CHECK(resolve_progress_style(ProgressSetting::kLines, true) == ProgressStyle::kLines);
}

TEST_CASE("durations print with at most two units") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(44.6) == "45s");
  CHECK(format_duration(185) == "3m05s");
  CHECK(format_duration(7440) == "2h04m");
  CHECK(format_duration(3 * 86400 + 2 * 3600 + 59) == "3d02h");
  CHECK(format_duration(-1) == "?");
  CHECK(format_duration(std::numeric_limits<double>::infinity()) == "?");
}

TEST_CASE("the ETA is the mean of the recent steps times the steps left") {
  EtaEstimator eta(3);
  CHECK_FALSE(eta.eta_s(10).has_value());
  CHECK(eta.eta_s(0) == 0.0);
  eta.add_step(10);  // a slow first step leaves the window after three more
  eta.add_step(2);
  eta.add_step(3);
  CHECK(eta.seconds_per_step() == Approx(5.0));
  eta.add_step(4);
  CHECK(eta.seconds_per_step() == Approx(3.0));
  CHECK(eta.eta_s(10) == Approx(30.0));
  eta.add_step(-5);  // a clock that went backwards counts as an instant step
  CHECK(eta.seconds_per_step() == Approx(7.0 / 3));
}

TEST_CASE("lines are printed for the first step, every N steps and the last step, with no control characters") {
  std::vector<std::string> lines;
  ProgressReporter reporter({ProgressStyle::kLines, /*every_steps=*/10, /*every_s=*/0, 80},
                            [&](const std::string& text) { lines.push_back(text); });
  for (int64_t done = 1; done <= 25; ++done) reporter.update(at(done, 25, static_cast<double>(done)));
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[0], Catch::Matchers::StartsWith("step 1/25"));
  CHECK_THAT(lines[1], Catch::Matchers::StartsWith("step 11/25"));
  CHECK_THAT(lines[2], Catch::Matchers::StartsWith("step 21/25"));
  CHECK_THAT(lines[3], Catch::Matchers::StartsWith("step 25/25"));
  for (const std::string& line : lines) {
    CHECK(line.find_first_of("\r\n\x1b") == std::string::npos);
  }
  reporter.finish("finished", 25, 25, 185);
  CHECK(lines.back() == "finished: 25/25 steps in 3m05s");
}

TEST_CASE("lines are also printed when the interval in seconds has passed") {
  std::vector<int64_t> printed;
  ProgressReporter reporter({ProgressStyle::kLines, /*every_steps=*/100, /*every_s=*/5, 80},
                            [&](const std::string& text) { printed.push_back(std::stoll(text.substr(5))); });
  // Steps finish every 2 s: after the first line at 2 s the next is due at >= 7 s, i.e. step 4 (8 s), then 7.
  for (int64_t done = 1; done <= 8; ++done) reporter.update(at(done, 50, 2.0 * static_cast<double>(done)));
  CHECK(printed == std::vector<int64_t>{1, 4, 7});
}

TEST_CASE("a line carries step, reward, accuracy, throughput, elapsed time and ETA") {
  const std::string line = format_progress_line(at(12, 40, 22, 65));
  CHECK_THAT(line, Catch::Matchers::StartsWith("step 12/40 | reward 0.410 ±0.300 | acc 0.380"));
  CHECK_THAT(line, Catch::Matchers::Contains("812 tok/s") && Catch::Matchers::Contains("elapsed 22s") &&
                       Catch::Matchers::EndsWith("ETA 1m05s"));
}

TEST_CASE("a bar is redrawn in place and fits the terminal") {
  std::vector<std::string> writes;
  ProgressReporter reporter({ProgressStyle::kBar, 10, 60, /*width=*/100},
                            [&](const std::string& text) { writes.push_back(text); });
  reporter.update(at(12, 40, 22, 65));
  REQUIRE(writes.size() == 1);
  const std::string& redraw = writes[0];
  CHECK_THAT(redraw, Catch::Matchers::StartsWith("\r") && Catch::Matchers::EndsWith("\x1b[K"));
  CHECK(redraw.find('\n') == std::string::npos);
  const std::string bar = redraw.substr(1, redraw.size() - 4);
  CHECK(bar.size() <= 99);
  CHECK_THAT(bar, Catch::Matchers::StartsWith("12/40 [") && Catch::Matchers::Contains("]  30%") &&
                      Catch::Matchers::Contains("ETA 1m05s") && Catch::Matchers::Contains("reward 0.410") &&
                      Catch::Matchers::Contains("acc 0.380") && Catch::Matchers::Contains("812 tok/s"));
  // 30% of the bar's cells are filled.
  const std::size_t open = bar.find('['), close = bar.find(']');
  const std::string cells = bar.substr(open + 1, close - open - 1);
  CHECK(static_cast<double>(std::count(cells.begin(), cells.end(), '#')) == Approx(0.3 * cells.size()).margin(1));
  reporter.finish("finished", 40, 40, 100);
  CHECK(writes.back() == "\nfinished: 40/40 steps in 1m40s\n");
}

TEST_CASE("a narrow terminal drops the trailing fields before the bar") {
  const std::string narrow = format_progress_bar(at(3, 10, 5, 12), 40);
  CHECK(narrow.size() <= 39);
  CHECK_THAT(narrow, Catch::Matchers::StartsWith("3/10 [") && Catch::Matchers::Contains("ETA 12s"));
  CHECK_THAT(narrow, !Catch::Matchers::Contains("tok/s"));
  const std::string tiny = format_progress_bar(at(3, 10, 5, 12), 12);
  CHECK(tiny.size() <= 11);
}

}  // namespace spct::observe
