// run.job scalar_rm: trains a scalar reward model on the preference items a GRM learns from (grm_jobs.h has the
// outline), the baseline of the SPCT ablation "scalar reward head vs GRM as the policy's reward".
#include <ATen/core/grad_mode.h>

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "orchestrator/data/deterministic_random.h"
#include "orchestrator/jobs/grm_job_common.h"
#include "orchestrator/jobs/grm_jobs.h"
#include "orchestrator/train/policy_setup.h"
#include "workers/reward/grm_model/meta_rm.h"
#include "workers/reward/grm_model/meta_rm_trainer.h"

namespace spct::jobs {
namespace {

// Every response of `items`, labelled 1 when it is a right one (the best one, or right by a labelled item's labels):
// what the scalar RM reads (the query as the policy saw it, then the response, meta_rm_tokens) and the label it learns.
std::vector<grm::MetaRmExample> label_responses(const std::vector<grm::PreferenceItem>& items,
                                                const tokenizer::Tokenizer& tokenizer, int64_t max_position) {
  std::vector<grm::MetaRmExample> examples;
  for (const grm::PreferenceItem& item : items) {
    if (item.responses.size() < 2) {
      throw UsageError("run.job scalar_rm learns which response is best: " + item.where + " shows " +
                       std::to_string(item.responses.size()) + " response (set data.preference_responses >= 2)");
    }
    for (size_t r = 0; r < item.responses.size(); ++r) {
      examples.push_back(
          {grm::meta_rm_tokens(tokenizer, item.query, item.responses[r], max_position), grm::response_right(item, r)});
    }
  }
  return examples;
}

// The share of `items` whose best response the model scores highest (ties count as wrong).
double pick_accuracy(const models::ScalarHeadModel& model, const tokenizer::Tokenizer& tokenizer,
                     const std::vector<grm::PreferenceItem>& items) {
  std::vector<std::string> queries, responses;
  for (const grm::PreferenceItem& item : items) {
    for (const std::string& response : item.responses) {
      queries.push_back(item.query);
      responses.push_back(response);
    }
  }
  const std::vector<double> scores = grm::rate_critiques(model, tokenizer, queries, responses);
  int64_t correct = 0;
  size_t at = 0;
  for (const grm::PreferenceItem& item : items) {
    const double best = scores[at + static_cast<size_t>(item.truth)];
    bool strictly_best = true;
    for (size_t r = 0; r < item.responses.size(); ++r) {
      if (static_cast<int>(r) != item.truth && scores[at + r] >= best) strictly_best = false;
    }
    correct += strictly_best;
    at += item.responses.size();
  }
  return items.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(items.size());
}

int64_t train_scalar_rm(const config::Config& config, const run::RunDirectory& dir, run::MetricsLog& log) {
  const auto began = std::chrono::steady_clock::now();
  const auto seed = static_cast<uint64_t>(config.run.seed);
  const std::shared_ptr<const tokenizer::Tokenizer> tokenizer = train::make_run_tokenizer(config);
  // The items only: their GRM prompts (whose length load_preference_data checks) are never rendered here.
  const data::PreferenceSources data = data::make_preference_sources(config);
  // The configured shape (or model.path's weights) under a new score head: the scalar RM starts where a GRM's
  // warm start does.
  const std::unique_ptr<models::ScalarHeadModel> model =
      scalar_model_from(*train::make_policy(config, *tokenizer), seed);
  const int64_t max_position = model->backbone().config().max_position;
  Metrics metrics;

  // Each step takes sft.batch_size fresh training items, every response of each a labelled example.
  grm::MetaRmTrainer trainer(*model, {.lr = config.sft.lr});
  const auto per_step = static_cast<uint64_t>(config.sft.batch_size);
  for (int64_t step = 0; step < config.sft.warmup_steps; ++step) {
    const std::vector<grm::MetaRmExample> examples = label_responses(
        take_items(*data.train, static_cast<uint64_t>(step) * per_step, per_step), *tokenizer, max_position);
    std::vector<const grm::MetaRmExample*> batch;
    for (const grm::MetaRmExample& example : examples) batch.push_back(&example);
    const double loss = trainer.step(batch);
    if (step == 0) metrics["scalar/train_loss_first"] = loss;
    metrics["scalar/train_loss_last"] = loss;
    if ((step + 1) % 250 == 0 || step + 1 == config.sft.warmup_steps) {
      spdlog::info("scalar RM step {}/{} | bce {:.4f}", step + 1, config.sft.warmup_steps, loss);
    }
  }
  model->set_requires_grad(false);
  metrics["scalar/train_items"] = static_cast<double>(static_cast<uint64_t>(config.sft.warmup_steps) * per_step);

  // Held-out: how often the best response scores highest, the scalar RM's counterpart of a GRM's accuracy.
  if (data.eval) {
    const std::vector<grm::PreferenceItem> eval_items =
        take_items(*data.eval, 0, std::min<uint64_t>(data.eval->size(), static_cast<uint64_t>(config.data.eval_size)));
    metrics["scalar/eval_items"] = static_cast<double>(eval_items.size());
    metrics["scalar/eval_accuracy"] = pick_accuracy(*model, *tokenizer, eval_items);
  }
  metrics["time/total_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  log.write(1, metrics);
  spdlog::info("scalar RM: held-out accuracy {:.3f} ({} items) | {:.1f} s", metrics["scalar/eval_accuracy"],
               metrics["scalar/eval_items"], metrics["time/total_s"]);

  grm::save_meta_rm(*model, dir.file("model"), config.model.path);
  spdlog::info("exported the scalar RM to {}", dir.file("model"));
  return 1;
}

}  // namespace

void run_scalar_rm_job(const config::ResolvedConfig& resolved) {
  set_job_threads(resolved.config);
  run_in_directory(resolved, [&](const run::RunDirectory& dir, run::MetricsLog& log) {
    return train_scalar_rm(resolved.config, dir, log);
  });
}

}  // namespace spct::jobs
