#include "orchestrator/train/train_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "core/checkpoint/checkpoint_store.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "learner/advantages.h"
#include "models/tokenizer/chat_template.h"
#include "orchestrator/data/prompt_sources.h"
#include "orchestrator/data/prompt_stream.h"
#include "orchestrator/observe/run_monitor.h"
#include "orchestrator/run/metrics_log.h"
#include "orchestrator/train/prompt_text.h"
#include "orchestrator/train/resume.h"
#include "orchestrator/train/step_metrics.h"

namespace spct::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Turns dataset items into protocol items (token ids) and remembers each prompt's text and answer for the
// reward requests.
class PromptEncoder {
 public:
  PromptEncoder(const config::Config& config, const tokenizer::Tokenizer& tokenizer)
      : tokenizer_(tokenizer),
        template_(tokenizer::parse_chat_template(config.tokenizer.chat_template)),
        group_size_(static_cast<uint32_t>(config.rollout.group_size)) {}

  protocol::PromptItem encode(const data::PromptItem& item) {
    protocol::PromptItem out;
    out.prompt_id = next_id_++;
    const std::string text = prompt_text(item, template_);
    out.prompt_tokens = tokenizer_.encode(text, /*add_special=*/false);
    out.answer = item.answer;
    out.group_size = group_size_;
    texts_[out.prompt_id] = text;
    return out;
  }

  const std::string& text(uint64_t prompt_id) const { return texts_.at(prompt_id); }
  void forget_before(uint64_t prompt_id) { texts_.erase(texts_.begin(), texts_.lower_bound(prompt_id)); }
  uint64_t next_id() const { return next_id_; }
  void set_next_id(uint64_t id) { next_id_ = id; }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  const tokenizer::ChatTemplate template_;
  const uint32_t group_size_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::string> texts_;
};

// Dynamic sampling gives up after this many extra generation rounds in one step; the step then trains on the
// informative groups it has (rounded down to whole learner shards).
constexpr int kMaxRefillRounds = 4;

// Copies the final checkpoint's model into `<run dir>/model/`, replacing an older export only once the new one
// is complete.
void export_model(const std::filesystem::path& checkpoint, const run::RunDirectory& run_dir) {
  namespace fs = std::filesystem;
  const fs::path target = run_dir.file("model");
  const fs::path staging = run_dir.file(".model.partial");
  std::error_code error;
  fs::remove_all(staging, error);
  fs::copy(checkpoint / "model", staging, fs::copy_options::recursive, error);
  if (!error) fs::remove_all(target, error);
  if (!error) fs::rename(staging, target, error);
  if (error) throw Error(ExitCode::kFailure, "cannot export the model to " + target.string() + ": " + error.message());
  spdlog::info("model exported to {}", target.string());
}

}  // namespace

TrainOutcome run_training(const config::ResolvedConfig& resolved, const tokenizer::Tokenizer& tokenizer,
                          StepBackend& backend, const run::RunDirectory& run_dir,
                          const std::optional<RunState>& resume) {
  const config::Config& config = resolved.config;
  const tokenizer::ChatTemplate encoder_template = tokenizer::parse_chat_template(config.tokenizer.chat_template);
  const data::PromptSources sources = data::make_prompt_sources(config, [&](const data::PromptItem& item) {
    return static_cast<int64_t>(tokenizer.encode(prompt_text(item, encoder_template)).size());
  });
  data::PromptStream stream(sources.train, static_cast<uint64_t>(config.run.seed), config.data.shuffle);
  PromptEncoder encoder(config, tokenizer);
  if (resume) {
    stream.restore(resume->data);
    encoder.set_next_id(resume->next_prompt_id);
  }
  run::MetricsLog metrics_log(run_dir.file("metrics.jsonl"));
  observe::RunMonitor monitor(config, run_dir);
  const checkpoint::CheckpointStore store = checkpoint_store_of(config);
  std::filesystem::path last_checkpoint;
  // Step 7: the checkpoint of `done` completed steps.
  const auto write_checkpoint = [&](int64_t done) {
    const Clock::time_point start = Clock::now();
    monitor.set_phase("checkpoint");
    const std::filesystem::path staging = store.stage(done);
    backend.write_checkpoint(static_cast<uint64_t>(done), staging);
    write_run_state(staging, {done, encoder.next_id(), stream.save(), metrics_log.size_bytes()}, resolved);
    last_checkpoint = store.commit(done);
    spdlog::info("checkpoint {} written in {:.2f} s", last_checkpoint.string(), seconds_since(start));
  };
  const int64_t prompts_per_step = config.rollout.prompts_per_step;
  const int64_t shard =
      config.layout.colocate ? config.grpo.minibatches : config.layout.learners * config.grpo.minibatches;

  const int64_t first_step = resume ? resume->step : 0;
  for (int64_t step = first_step; step < config.run.steps; ++step) {
    const Clock::time_point step_start = Clock::now();
    const uint64_t first_prompt = encoder.next_id();
    PhaseTimes times;
    protocol::PromptBatch batch{static_cast<uint64_t>(step), static_cast<uint64_t>(step), {}};
    std::vector<protocol::GeneratedGroup> groups;
    std::vector<protocol::RewardResult> results;
    StepTally tally;
    backend.begin_step(batch.step);
    int rounds = 0;
    // Steps 1-4: generate and score until the batch holds prompts_per_step informative groups.
    while (static_cast<int64_t>(groups.size()) < prompts_per_step) {
      protocol::PromptBatch round{batch.step, batch.policy_version, {}};
      for (const data::PromptItem& item : stream.next_batch(static_cast<uint64_t>(prompts_per_step - groups.size()))) {
        round.items.push_back(encoder.encode(item));
      }
      monitor.set_phase("generate");
      Clock::time_point start = Clock::now();
      std::vector<protocol::GeneratedGroup> new_groups = backend.generate(round);
      times.generate += seconds_since(start);

      std::vector<protocol::RewardRequest> requests;
      for (std::size_t i = 0; i < new_groups.size(); ++i) {
        requests.push_back({new_groups[i], encoder.text(round.items[i].prompt_id), round.items[i].answer});
      }
      monitor.set_phase("reward");
      start = Clock::now();
      std::vector<protocol::RewardResult> new_results = backend.score(requests);
      times.reward += seconds_since(start);

      for (std::size_t i = 0; i < new_groups.size(); ++i) {
        tally.add(new_groups[i], new_results[i]);  // metrics see every sampled group, kept or not
        if (config.grpo.dynamic_sampling && learner::is_zero_variance(new_results[i].rewards)) continue;
        batch.items.push_back(round.items[i]);
        groups.push_back(std::move(new_groups[i]));
        results.push_back(std::move(new_results[i]));
      }
      if (!config.grpo.dynamic_sampling || ++rounds > kMaxRefillRounds) break;
    }
    // A refill that ran out of rounds keeps whole learner shards only.
    const std::size_t usable = static_cast<std::size_t>((static_cast<int64_t>(groups.size()) / shard) * shard);
    batch.items.resize(usable);
    groups.resize(usable);
    results.resize(usable);

    // Step 5: the update and the weight sync (with no usable group the learners skip the update, but every role
    // still ends the step in lock-step).
    monitor.set_phase("learn");
    Metrics metrics = backend.learn(batch, groups, results, times);

    // Step 6: metrics.
    tally.write_into(metrics);
    const double step_seconds = seconds_since(step_start);
    metrics["time/generate_s"] = times.generate;
    metrics["time/reward_s"] = times.reward;
    metrics["time/learn_s"] = times.learn;
    metrics["time/sync_s"] = times.sync;
    metrics["time/step_s"] = step_seconds;
    // Idle: step time in no phase (the orchestrator's own work and waits between phases). In synchronous mode
    // each role also waits while the others work; their idle shares say how much a faster phase would free.
    const double busy = times.generate + times.reward + times.learn + times.sync;
    metrics["time/idle_s"] = std::max(0.0, step_seconds - busy);
    metrics["time/idle_share"] = metrics["time/idle_s"] / std::max(1e-9, step_seconds);
    metrics["time/rollout_idle_share"] = 1.0 - std::min(1.0, times.generate / std::max(1e-9, step_seconds));
    metrics["time/reward_idle_share"] = 1.0 - std::min(1.0, times.reward / std::max(1e-9, step_seconds));
    metrics["time/learner_idle_share"] = 1.0 - std::min(1.0, (times.learn + times.sync) / std::max(1e-9, step_seconds));
    metrics["perf/tokens_per_s"] = tally.generated_tokens() / std::max(1e-9, step_seconds);
    metrics["batch/groups_trained"] = static_cast<double>(usable);
    metrics["batch/refill_rounds"] = rounds;
    metrics_log.write(step, metrics);
    monitor.on_step(step, metrics);
    run_dir.write_status("running", step + 1);
    encoder.forget_before(first_prompt);

    // Step 7: stop and checkpoint.
    const int64_t done = step + 1;
    const bool stop = backend.agree_to_stop(stop_requested());
    const bool last = done == config.run.steps;
    if (stop || last || (config.checkpoint.every > 0 && done % config.checkpoint.every == 0)) write_checkpoint(done);
    if (stop && !last) {
      backend.shutdown(static_cast<uint64_t>(done));
      run_dir.write_status("checkpointed", done, "stopped on a signal; run the same command to resume");
      monitor.on_finish("checkpointed");
      return TrainOutcome::kCheckpointed;
    }
  }
  backend.shutdown(static_cast<uint64_t>(config.run.steps));
  monitor.set_phase("export");
  if (!last_checkpoint.empty()) export_model(last_checkpoint, run_dir);
  run_dir.write_status("finished", config.run.steps);
  monitor.on_finish("finished");
  return TrainOutcome::kFinished;
}

}  // namespace spct::train
