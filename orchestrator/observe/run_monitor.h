// RunMonitor: everything the orchestrator shows of a running job, behind one object the step loop calls.
//
//   progress      a bar on a terminal, plain periodic lines otherwise (observe.progress; progress.h)
//   TensorBoard   every step's metrics as scalars in <run>/tensorboard/ (observe.tensorboard; event_file.h)
//   endpoint      GET /status and GET /metrics over HTTP when observe.status_port > 0 (status_server.h)
//
// Use on rank 0 (the orchestrator), one per run:
//   observe::RunMonitor monitor(config, run_dir);   // starts the endpoint; throws if its port is taken
//   monitor.set_phase("warm_start");
//   ...
//   monitor.set_phase("train");
//   for each step: metrics_log.write(step, metrics); monitor.on_step(step, metrics);
//                  backend.agree_to_stop(...); monitor.on_stop_agreed(step);
//   monitor.on_finish("finished");                 // or "failed", "checkpointed"
// It replaces the per-step console line; metrics.jsonl and status.json stay the job's (run::MetricsLog,
// run::RunDirectory).
//
// Thread safety: set_phase, on_step, on_stop_agreed and on_finish are called from one thread (the step loop);
// status() may be called from any thread at any time (the endpoint's thread does).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/metrics.h"
#include "orchestrator/observe/eta.h"
#include "orchestrator/observe/progress.h"
#include "orchestrator/observe/run_status.h"
#include "orchestrator/run/run_directory.h"

namespace spct::observe {

class EventFileWriter;
class StatusServer;

class RunMonitor {
 public:
  // Progress goes to stderr (bar) or the logger (lines), as observe.progress and the terminal decide. Creates
  // the TensorBoard file when observe.tensorboard and starts the endpoint when observe.status_port > 0. Throws
  // spct::UsageError when the endpoint cannot listen on observe.status_host:observe.status_port, spct::Error
  // when the TensorBoard file cannot be created.
  RunMonitor(const config::Config& config, const run::RunDirectory& run_dir);

  // As above, with progress text in `style` handed to `writer` (tests, or a job with its own console).
  RunMonitor(const config::Config& config, const run::RunDirectory& run_dir, ProgressStyle style,
             ProgressReporter::Writer writer);

  // Stops the endpoint.
  ~RunMonitor();

  RunMonitor(const RunMonitor&) = delete;
  RunMonitor& operator=(const RunMonitor&) = delete;

  // What the orchestrator is doing now ("warm_start", "train", "checkpoint", "export", ...); shown by /status
  // and as a label of spct_info.
  void set_phase(std::string_view phase);

  // Every rank of the job took part in the stop agreement of step `step` (StepBackend::agree_to_stop, a
  // collective over all ranks that completes only once each rank has joined): /status then lists each rank as
  // answering in that step and counts them all alive. The ranks and their roles come from config.layout, so
  // /status lists them, with no step, from the start.
  void on_stop_agreed(int64_t step);

  // After step `step` (0-based, as written to metrics.jsonl) finished with `metrics`: updates the ETA and the
  // status, appends the TensorBoard event and shows progress. Throws spct::Error when the TensorBoard file
  // cannot be written.
  void on_step(int64_t step, const Metrics& metrics);

  // A text summary of step `step`'s sampled completions (markdown) for TensorBoard's Text tab, under the tag
  // "rollouts/samples"; nothing without observe.tensorboard. Throws spct::Error when the file cannot be written.
  void on_rollout_samples(int64_t step, const std::string& markdown);

  // The job ended in `state` ("finished", "failed", "checkpointed"): ends the progress output with a summary.
  // The endpoint keeps answering (with this state) until the monitor is destroyed.
  void on_finish(std::string_view state);

  // A consistent copy of the current status. Thread-safe.
  RunStatus status() const;

  // The port the endpoint listens on, 0 when there is none.
  int status_port() const;

  // The TensorBoard event file, "" when observe.tensorboard is false.
  std::string tensorboard_file() const;

 private:
  using Clock = std::chrono::steady_clock;

  double elapsed_s() const;

  const Clock::time_point start_;
  ProgressReporter progress_;
  EtaEstimator eta_;
  std::optional<Clock::time_point> last_step_end_;
  std::unique_ptr<EventFileWriter> tensorboard_;
  mutable std::mutex mutex_;  // guards status_
  RunStatus status_;
  std::unique_ptr<StatusServer> server_;  // last: stopped first, while what it reads is alive
};

}  // namespace spct::observe
