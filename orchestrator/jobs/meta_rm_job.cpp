// run.job meta_rm: trains the meta reward model on labelled critiques of the GRM at grm.model_path (grm_jobs.h
// has the outline).
#include <ATen/core/grad_mode.h>

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/data/deterministic_random.h"
#include "orchestrator/jobs/grm_job_common.h"
#include "orchestrator/jobs/grm_jobs.h"
#include "workers/reward/grm/critique_judge.h"
#include "workers/reward/grm/meta_selection.h"
#include "workers/reward/grm/roc_auc.h"
#include "workers/reward/grm/voting.h"
#include "workers/reward/grm_model/meta_rm.h"
#include "workers/reward/grm_model/meta_rm_trainer.h"
#include "workers/reward/grm_model/model_critique_sampler.h"
#include "workers/reward/reward_worker_options.h"

namespace spct::jobs {
namespace {

constexpr uint64_t kEvalStream = 0x6d65746165ULL;  // "metae": the held-out items' shuffles
constexpr uint64_t kBatchSalt = 0x6d65746162ULL;   // "metab": the order critiques are trained in

// grm.samples critiques of every item, each with its own shuffled response order, labelled by the training rule.
struct LabelledCritiques {
  std::vector<std::string> prompts;
  std::vector<std::string> critiques;
  std::vector<bool> correct;
};

LabelledCritiques sample_and_label(const std::vector<grm::PreferenceItem>& items, const grm::PromptTemplate& prompt,
                                   grm::CritiqueSampler& sampler, const config::Config& config, uint64_t seed) {
  const auto k = static_cast<uint64_t>(config.grm.samples);
  LabelledCritiques out;
  std::vector<std::vector<int>> orders;
  for (size_t i = 0; i < items.size(); ++i) {
    for (uint64_t s = 0; s < k; ++s) {
      orders.push_back(grm::shuffled_order(static_cast<int>(items[i].responses.size()),
                                           grm::derive_seed(grm::derive_seed(seed, i), s)));
      out.prompts.push_back(grm::render_item_prompt(prompt, items[i], orders.back()));
    }
  }
  out.critiques = sampler.generate(out.prompts, config.grm.temperature);
  for (size_t c = 0; c < out.critiques.size(); ++c) {
    out.correct.push_back(grm::judge_critique(prompt, items[c / k], orders[c], out.critiques[c]).correct);
  }
  return out;
}

double positive_rate(const std::vector<bool>& labels) {
  double positives = 0;
  for (const bool label : labels) positives += label;
  return labels.empty() ? 0.0 : positives / static_cast<double>(labels.size());
}

int64_t train_meta_rm(const config::Config& config, const run::RunDirectory& dir, run::MetricsLog& log) {
  if (config.grm.model_path.empty()) {
    throw UsageError("run.job meta_rm: set grm.model_path to the GRM whose critiques the meta RM rates");
  }
  const auto began = std::chrono::steady_clock::now();
  const auto seed = static_cast<uint64_t>(config.run.seed);
  std::unique_ptr<grm::ModelCritiqueSampler> sampler =
      grm::load_model_critique_sampler(config.grm.model_path, reward::grm_backend_options(config).load,
                                       grm::ModelSamplerOptions::from_config(config.grm, seed));
  const tokenizer::Tokenizer& tokenizer = sampler->tokenizer();
  const data::PreferenceSources data = load_preference_data(config, tokenizer);
  if (!data.eval) throw UsageError("run.job meta_rm needs held-out items: set data.eval_path for a JSONL file");
  const grm::PromptTemplate prompt(grm::PromptOptions::from_config(config.grm));
  Metrics metrics;

  // 1. Labelled critiques for training and for held-out evaluation; the GRM's own greedy accuracy too.
  const GrmAccuracy greedy = evaluate_grm(prompt, *sampler, *data.eval, static_cast<uint64_t>(config.data.eval_size));
  metrics["grm/eval_items"] = static_cast<double>(greedy.items);
  metrics["grm/eval_accuracy"] = greedy.accuracy;
  metrics["grm/eval_parse_failure_rate"] = greedy.parse_failure_rate;
  const std::vector<grm::PreferenceItem> train_items =
      take_items(*data.train, 0, static_cast<uint64_t>(config.grm.meta_items));
  const std::vector<grm::PreferenceItem> eval_items =
      take_items(*data.eval, 0, std::min<uint64_t>(data.eval->size(), static_cast<uint64_t>(config.data.eval_size)));
  const LabelledCritiques train = sample_and_label(train_items, prompt, *sampler, config, seed);
  const LabelledCritiques held_out =
      sample_and_label(eval_items, prompt, *sampler, config, grm::derive_seed(seed, kEvalStream));
  const int per_item = static_cast<int>(config.grm.samples);
  metrics["meta/train_critiques"] = static_cast<double>(train.correct.size());
  metrics["meta/train_label_rate"] = positive_rate(train.correct);
  metrics["meta/eval_critiques"] = static_cast<double>(held_out.correct.size());
  metrics["meta/eval_label_rate"] = positive_rate(held_out.correct);

  // 2. Binary cross-entropy on the critiques of the training items whose critiques are neither all correct nor
  // all incorrect. Guided voting ranks one item's critiques against each other; an item whose critiques all
  // share one label teaches only whether the item is easy, which a pooled AUC rewards and the ranking cannot
  // use. Trained on every item, the quickstart's meta RM kept worse critiques than a random half
  // (MetaRM@16 - voting@16 = -0.032 in seed 1; -0.006 with this filter, docs/grm.md).
  // The backbone starts as a copy of the GRM's: it already reads the prompts' format and content.
  const std::unique_ptr<models::ScalarHeadModel> meta = scalar_model_from(sampler->model(), seed);
  const int64_t max_position = meta->backbone().config().max_position;
  std::vector<size_t> used_items;
  for (size_t item = 0; item < train_items.size(); ++item) {
    if (grm::mixed_labels(train.correct, per_item, static_cast<int64_t>(item))) used_items.push_back(item);
  }
  metrics["meta/train_mixed_items"] = static_cast<double>(used_items.size());
  if (used_items.empty()) {
    // A GRM whose critiques are all right or all wrong on every item (an untrained one: none parses) leaves no
    // ranking to learn; the meta RM still trains, on every critique, so the pipeline runs on.
    spdlog::warn(
        "meta RM: the critiques of each of the {} training items are all correct or all incorrect; training on "
        "all of them, so the meta RM can learn only which items are hard (raise grm.samples or grm.temperature)",
        train_items.size());
    for (size_t item = 0; item < train_items.size(); ++item) used_items.push_back(item);
  }
  std::vector<grm::MetaRmExample> examples;
  for (const size_t item : used_items) {
    for (size_t c = item * static_cast<size_t>(per_item); c < (item + 1) * static_cast<size_t>(per_item); ++c) {
      examples.push_back(
          {grm::meta_rm_tokens(tokenizer, train.prompts[c], train.critiques[c], max_position), train.correct[c]});
    }
  }
  grm::MetaRmTrainer trainer(*meta, {.lr = config.grm.meta_lr});
  data::SplitMix64 rng(data::mix_keys(seed, kBatchSalt));
  for (int64_t step = 0; step < config.grm.meta_train_steps; ++step) {
    std::vector<const grm::MetaRmExample*> batch;
    for (int64_t b = 0; b < config.sft.batch_size; ++b) batch.push_back(&examples[rng.below(examples.size())]);
    const double loss = trainer.step(batch);
    if (step == 0) metrics["meta/train_loss_first"] = loss;
    metrics["meta/train_loss_last"] = loss;
    if ((step + 1) % 50 == 0 || step + 1 == config.grm.meta_train_steps) {
      spdlog::info("meta RM step {}/{} | bce {:.4f}", step + 1, config.grm.meta_train_steps, loss);
    }
  }
  meta->set_requires_grad(false);

  // 3. Held-out accuracy (logit > 0 predicts "correct") and ROC AUC of the ratings.
  const std::vector<double> ratings = grm::rate_critiques(*meta, tokenizer, held_out.prompts, held_out.critiques);
  double agree = 0;
  for (size_t c = 0; c < ratings.size(); ++c) agree += (ratings[c] > 0) == held_out.correct[c];
  metrics["meta/eval_accuracy"] = ratings.empty() ? 0.0 : agree / static_cast<double>(ratings.size());
  metrics["meta/eval_auc"] = grm::roc_auc(ratings, held_out.correct);
  // What guided voting gets: within each held-out item, the share of correct critiques among the k_meta it
  // keeps (against meta/eval_label_rate over all), and how well it ranks the item's critiques.
  const int keep = grm::effective_meta_samples(per_item, static_cast<int>(config.grm.meta_samples));
  const grm::MetaSelectionStats selection = grm::meta_selection_stats(ratings, held_out.correct, per_item, keep);
  metrics["meta/eval_keep"] = static_cast<double>(keep);
  metrics["meta/eval_kept_label_rate"] = selection.kept_rate;
  metrics["meta/eval_within_item_auc"] = selection.within_auc;
  metrics["meta/eval_mixed_items"] = static_cast<double>(selection.mixed_items);
  metrics["time/total_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  log.write(1, metrics);
  spdlog::info(
      "meta RM: trained on the {} critiques of {} of {} items ({} with mixed labels) | held-out accuracy {:.3f}, AUC "
      "{:.3f} ({} critiques, {:.1f}% correct; keeping the top {} of {} per item: {:.1f}% correct, within-item AUC "
      "{:.3f} over {} mixed items) | GRM greedy accuracy {:.3f} | {:.1f} s",
      examples.size(), used_items.size(), train_items.size(), metrics["meta/train_mixed_items"],
      metrics["meta/eval_accuracy"], metrics["meta/eval_auc"], ratings.size(), 100 * metrics["meta/eval_label_rate"],
      keep, per_item, 100 * selection.kept_rate, selection.within_auc, selection.mixed_items, greedy.accuracy,
      metrics["time/total_s"]);

  // 4. Export next to the GRM's tokenizer files.
  grm::save_meta_rm(*meta, dir.file("model"), config.grm.model_path);
  spdlog::info("exported the meta RM to {}", dir.file("model"));
  return 1;
}

}  // namespace

void run_meta_rm_job(const config::ResolvedConfig& resolved) {
  set_job_threads(resolved.config);
  run_in_directory(resolved, [&](const run::RunDirectory& dir, run::MetricsLog& log) {
    return train_meta_rm(resolved.config, dir, log);
  });
}

}  // namespace spct::jobs
