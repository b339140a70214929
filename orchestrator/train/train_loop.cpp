#include "orchestrator/train/train_loop.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/checkpoint/checkpoint_store.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/data/prompt_sources.h"
#include "orchestrator/data/prompt_stream.h"
#include "orchestrator/observe/rollout_log_writer.h"
#include "orchestrator/observe/rollout_views.h"
#include "orchestrator/observe/run_monitor.h"
#include "orchestrator/run/metrics_log.h"
#include "orchestrator/run/model_export.h"
#include "orchestrator/train/batch_collector.h"
#include "orchestrator/train/prompt_text.h"
#include "orchestrator/train/resume.h"
#include "orchestrator/train/rollout_records.h"
#include "orchestrator/train/step_metrics.h"

namespace spct::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

TrainOutcome run_training(const config::ResolvedConfig& resolved, const tokenizer::Tokenizer& tokenizer,
                          StepBackend& backend, const run::RunDirectory& run_dir,
                          const std::optional<RunState>& resume) {
  const config::Config& config = resolved.config;
  const bool async = config.rollout.mode == config::RolloutMode::kAsync;
  const tokenizer::ChatFormat encoder_template = tokenizer::make_chat_format(config.tokenizer, config.model.path);
  const data::PromptSources sources = data::make_prompt_sources(config, [&](const data::PromptItem& item) {
    return static_cast<int64_t>(tokenizer.encode(prompt_text(item, encoder_template)).size());
  });
  data::PromptStream stream(sources.train, static_cast<uint64_t>(config.run.seed), config.data.shuffle);
  PromptEncoder encoder(config, tokenizer);
  // Asynchronous mode: the next step's groups, collected while the learners updated on this step's.
  std::optional<CollectedBatch> pending;
  if (resume) {
    stream.restore(resume->data);
    encoder.set_next_id(resume->next_prompt_id);
    pending = resume->pending;
  }
  run::MetricsLog metrics_log(run_dir.file("metrics.jsonl"));
  observe::RunMonitor monitor(config, run_dir);
  // open_run() moved aside the files of steps this attempt writes again, so the writer counts the kept ones.
  observe::RolloutLogWriter rollout_log(
      run_dir.file("rollouts"),
      {.every = config.observe.rollout_log_every,
       .compress = config.observe.rollout_log_compress == config::RolloutLogCompression::kZstd,
       .max_file_bytes = config.observe.rollout_log_max_file_bytes,
       .max_run_bytes = config.observe.rollout_log_max_run_bytes});
  const checkpoint::CheckpointStore store = checkpoint_store_of(config);
  std::filesystem::path last_checkpoint;
  // Step 7: the checkpoint of `done` completed steps (with the groups already collected for the next step).
  const auto write_checkpoint = [&](int64_t done) {
    const Clock::time_point start = Clock::now();
    monitor.set_phase("checkpoint");
    const std::filesystem::path staging = store.stage(done);
    // The pending batch's groups stayed with the rollout workers; the checkpoint saves them (pending_batch.h).
    if (pending) backend.fetch_groups(pending->groups, pending->holders);
    backend.write_checkpoint(static_cast<uint64_t>(done), staging);
    write_run_state(staging, {done, encoder.next_id(), stream.save(), metrics_log.size_bytes(), pending}, resolved);
    last_checkpoint = store.commit(done);
    spdlog::info("checkpoint {} written in {:.2f} s", last_checkpoint.string(), seconds_since(start));
  };

  // The rollout log reads the groups themselves: on its steps they come to this rank (the route of old); on the
  // others they stay with the rollout workers and go from there to the learners (core/protocol/messages.h).
  const auto collect = [&](int64_t batch_step, PhaseTimes& times) {
    return collect_batch(static_cast<uint64_t>(batch_step), config, backend, stream, encoder, monitor, times,
                         /*keep_here=*/rollout_log.due(batch_step));
  };
  const int64_t first_step = resume ? resume->step : 0;
  for (int64_t step = first_step; step < config.run.steps; ++step) {
    const Clock::time_point step_start = Clock::now();
    PhaseTimes times;
    backend.begin_step(static_cast<uint64_t>(step));
    // Steps 1-4 (already done during the previous step in asynchronous mode, except at the first step).
    const CollectedBatch current = pending ? std::move(*pending) : collect(step, times);
    pending.reset();

    // Step 5: the update and the weight sync (with no usable group the learners skip the update, but every role
    // still ends the step in lock-step). Asynchronous mode collects the next step's groups meanwhile, from the
    // weights before this update.
    const CollectedBatch::Training training = current.training();
    monitor.set_phase("learn");
    backend.start_learning(training.batch, training.groups, training.results, training.holders);
    if (async && step + 1 < config.run.steps) {
      pending = collect(step + 1, times);
      monitor.set_phase("learn");
    }
    Metrics metrics = backend.finish_learning(times);

    // Step 6: metrics.
    const StepTally tally = current.tally();
    tally.write_into(metrics);
    write_time_metrics(times, seconds_since(step_start), async, metrics);
    metrics["perf/tokens_per_s"] = tally.generated_tokens() / std::max(1e-9, metrics["time/step_s"]);
    metrics["batch/groups_trained"] = static_cast<double>(training.groups.size());
    metrics["batch/refill_rounds"] = static_cast<double>(current.refill_rounds);
    if (rollout_log.due(step)) {
      const Clock::time_point start = Clock::now();
      const std::vector<observe::RolloutRecord> records = rollout_records(current, tokenizer, config.grpo);
      const observe::RolloutLogWriter::StepLog logged = rollout_log.write_step(step, records);
      if (config.observe.tensorboard_samples > 0) {
        monitor.on_rollout_samples(step,
                                   observe::rollout_samples_markdown(records, config.observe.tensorboard_samples));
      }
      metrics["rollouts/records"] = static_cast<double>(logged.written);
      metrics["rollouts/records_dropped"] = static_cast<double>(logged.dropped);
      metrics["rollouts/file_bytes"] = static_cast<double>(logged.file_bytes);
      metrics["time/rollout_log_s"] = seconds_since(start);
    }
    metrics_log.write(step, metrics);
    monitor.on_step(step, metrics);
    run_dir.write_status("running", step + 1);

    // Step 7: stop and checkpoint.
    const int64_t done = step + 1;
    const bool stop = backend.agree_to_stop(stop_requested());
    monitor.on_stop_agreed(step);  // every rank joined the agreement: /status lists them as answering
    const bool last = done == config.run.steps;
    if (stop || last || (config.checkpoint.every > 0 && done % config.checkpoint.every == 0)) write_checkpoint(done);
    if (stop && !last) {
      backend.shutdown(static_cast<uint64_t>(done));
      run_dir.write_status("checkpointed", done, "stopped on a signal; run the same command to resume");
      monitor.on_finish("checkpointed");
      return TrainOutcome::kCheckpointed;
    }
  }
  // A run of no steps (a warm start only) still leaves a checkpoint and the exported model.
  if (config.run.steps == 0 && first_step == 0) write_checkpoint(0);
  backend.shutdown(static_cast<uint64_t>(config.run.steps));
  monitor.set_phase("export");
  if (!last_checkpoint.empty()) run::export_model(last_checkpoint, run_dir);
  run_dir.write_status("finished", config.run.steps);
  monitor.on_finish("finished");
  return TrainOutcome::kFinished;
}

}  // namespace spct::train
