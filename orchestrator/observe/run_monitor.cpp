#include "orchestrator/observe/run_monitor.h"

#include <cstdio>

#include "core/comm/layout.h"
#include "core/log.h"
#include "orchestrator/observe/event_file.h"
#include "orchestrator/observe/status_server.h"

namespace spct::observe {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ProgressReporter::Options progress_options(const config::Config& config, ProgressStyle style) {
  ProgressReporter::Options options;
  options.style = style;
  options.every_steps = config.observe.progress_every_steps;
  options.every_s = config.observe.progress_every_s;
  options.width = style == ProgressStyle::kBar ? stderr_terminal_width() : 80;
  return options;
}

// Bar text is written raw (it carries its own "\r" and newline); lines go through the logger, so they carry
// its time stamp and rank prefix like every other line of a SLURM log.
ProgressReporter::Writer console_writer(ProgressStyle style) {
  if (style == ProgressStyle::kBar) {
    return [](const std::string& text) {
      std::fputs(text.c_str(), stderr);
      std::fflush(stderr);
    };
  }
  return [](const std::string& text) { spdlog::info("{}", text); };
}

ProgressStyle console_style(const config::Config& config) {
  return resolve_progress_style(config.observe.progress, stderr_is_terminal());
}

// The job's ranks and their roles as config.layout lays them out (rank order is role order, so where the ranks
// run does not matter here).
std::vector<RankSeen> ranks_of(const config::Config& config) {
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(config.layout, 1, 1, {});
  std::vector<RankSeen> ranks;
  for (const comm::RankPlacement& placement : layout.ranks()) {
    ranks.push_back({placement.rank, comm::role_name(placement.role), std::nullopt});
  }
  return ranks;
}

}  // namespace

RunMonitor::RunMonitor(const config::Config& config, const run::RunDirectory& run_dir)
    : RunMonitor(config, run_dir, console_style(config), console_writer(console_style(config))) {}

RunMonitor::RunMonitor(const config::Config& config, const run::RunDirectory& run_dir, ProgressStyle style,
                       ProgressReporter::Writer writer)
    : start_(Clock::now()), progress_(progress_options(config, style), std::move(writer)) {
  status_.run = config.run.name;
  status_.run_dir = run_dir.path();
  status_.total_steps = config.run.steps;
  status_.ranks = ranks_of(config);
  status_.ranks_total = static_cast<int64_t>(status_.ranks.size());
  if (config.observe.tensorboard) {
    tensorboard_ = std::make_unique<EventFileWriter>(run_dir.file("tensorboard"), unix_now());
  }
  if (config.observe.status_port > 0) {
    server_ = std::make_unique<StatusServer>(
        config.observe.status_host, static_cast<uint16_t>(config.observe.status_port), [this] { return status(); });
  }
}

RunMonitor::~RunMonitor() = default;

double RunMonitor::elapsed_s() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void RunMonitor::set_phase(std::string_view phase) {
  const std::lock_guard<std::mutex> lock(mutex_);
  status_.phase = phase;
}

void RunMonitor::on_stop_agreed(int64_t step) {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (RankSeen& rank : status_.ranks) rank.last_step = step;
  status_.ranks_alive = static_cast<int64_t>(status_.ranks.size());
}

void RunMonitor::on_step(int64_t step, const Metrics& metrics) {
  const Clock::time_point now = Clock::now();
  // The first step's interval would include start-up and warm start, so it is the step's own time when the job
  // measured it; later intervals are wall time between steps, which also counts checkpoints and logging.
  const auto measured = metrics.find("time/step_s");
  if (last_step_end_) {
    eta_.add_step(std::chrono::duration<double>(now - *last_step_end_).count());
  } else if (measured != metrics.end()) {
    eta_.add_step(measured->second);
  } else {
    eta_.add_step(std::chrono::duration<double>(now - start_).count());
  }
  last_step_end_ = now;

  ProgressUpdate update;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    status_.steps_done = step + 1;
    status_.last_step = step;
    status_.metrics = metrics;
    status_.elapsed_s = elapsed_s();
    status_.seconds_per_step = eta_.seconds_per_step();
    status_.eta_s = eta_.eta_s(status_.total_steps - status_.steps_done);
    update.steps_done = status_.steps_done;
    update.total_steps = status_.total_steps;
    update.elapsed_s = status_.elapsed_s;
    update.eta_s = status_.eta_s;
  }
  update.metrics = &metrics;
  if (tensorboard_) tensorboard_->write_scalars(step, unix_now(), metrics);
  progress_.update(update);
}

void RunMonitor::on_finish(std::string_view state) {
  int64_t steps_done = 0;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    status_.state = state;
    status_.eta_s.reset();
    status_.elapsed_s = elapsed_s();
    steps_done = status_.steps_done;
  }
  progress_.finish(state, steps_done, status_.total_steps, elapsed_s());
}

RunStatus RunMonitor::status() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  RunStatus copy = status_;
  if (copy.state == "running") copy.elapsed_s = elapsed_s();
  return copy;
}

int RunMonitor::status_port() const {
  return server_ ? server_->port() : 0;
}

void RunMonitor::on_rollout_samples(int64_t step, const std::string& markdown) {
  if (tensorboard_) tensorboard_->write_text(step, unix_now(), "rollouts/samples", markdown);
}

std::string RunMonitor::tensorboard_file() const {
  return tensorboard_ ? tensorboard_->path() : "";
}

}  // namespace spct::observe
