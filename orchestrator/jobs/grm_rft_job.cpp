// run.job grm_rft: rejective fine-tuning of a GRM (grm_jobs.h has the outline).
#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "learner/sft_trainer.h"
#include "orchestrator/data/deterministic_random.h"
#include "orchestrator/jobs/grm_job_common.h"
#include "orchestrator/jobs/grm_jobs.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/warm_start.h"
#include "workers/reward/grm/rft_filter.h"
#include "workers/reward/grm/voting.h"
#include "workers/reward/grm_model/model_critique_sampler.h"

namespace spct::jobs {
namespace {

constexpr uint64_t kSftOrderSalt = 0x7266747366ULL;  // "rftsf": the order kept critiques are trained in

// Token ids of the kept critiques: prompt -> critique + end of sequence. Examples longer than the model's
// context (a critique cut at grm.max_new_tokens, plus the end token) are left out and counted.
struct SftData {
  std::vector<std::vector<int64_t>> prompts;
  std::vector<std::vector<int64_t>> targets;
  int64_t too_long = 0;
};

SftData tokenize(const std::vector<grm::RftExample>& examples, const tokenizer::Tokenizer& tokenizer,
                 int64_t max_position) {
  SftData data;
  for (const grm::RftExample& example : examples) {
    const std::vector<int32_t> prompt = tokenizer.encode(example.prompt);
    std::vector<int32_t> target = tokenizer.encode(example.critique);
    target.push_back(tokenizer.eos_id());
    if (static_cast<int64_t>(prompt.size() + target.size()) > max_position) {
      ++data.too_long;
      continue;
    }
    data.prompts.emplace_back(prompt.begin(), prompt.end());
    data.targets.emplace_back(target.begin(), target.end());
  }
  return data;
}

// grm.rft_sft_steps steps of sft.batch_size examples, cycling through a seeded shuffle of `data`.
Metrics fine_tune(learner::SftTrainer& trainer, const SftData& data, const config::Config& config, uint64_t seed) {
  std::vector<size_t> order(data.prompts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  data::SplitMix64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  Metrics metrics;
  size_t next = 0;
  for (int64_t step = 0; step < config.grm.rft_sft_steps; ++step) {
    std::vector<std::vector<int64_t>> prompts, targets;
    for (int64_t b = 0; b < config.sft.batch_size; ++b, ++next) {
      const size_t at = order[next % order.size()];
      prompts.push_back(data.prompts[at]);
      targets.push_back(data.targets[at]);
    }
    const double loss = trainer.step(prompts, targets);
    if (step == 0) metrics["rft/sft_loss_first"] = loss;
    metrics["rft/sft_loss_last"] = loss;
  }
  return metrics;
}

void add_counts(const grm::RftCounts& counts, Metrics& metrics) {
  metrics["rft/items"] = static_cast<double>(counts.items);
  metrics["rft/kept_items"] = static_cast<double>(counts.kept_items);
  metrics["rft/too_easy"] = static_cast<double>(counts.too_easy);
  metrics["rft/none_correct"] = static_cast<double>(counts.none_correct);
  metrics["rft/samples"] = static_cast<double>(counts.samples);
  metrics["rft/sample_accuracy"] =
      counts.samples > 0 ? static_cast<double>(counts.correct_samples) / static_cast<double>(counts.samples) : 0.0;
  metrics["rft/parse_failures"] = static_cast<double>(counts.parse_failures);
  metrics["rft/hinted_attempts"] = static_cast<double>(counts.hinted_attempts);
  metrics["rft/hinted_kept"] = static_cast<double>(counts.hinted_kept);
}

void add_accuracy(const GrmAccuracy& accuracy, Metrics& metrics) {
  metrics["grm/eval_items"] = static_cast<double>(accuracy.items);
  metrics["grm/eval_accuracy"] = accuracy.accuracy;
  metrics["grm/eval_parse_failure_rate"] = accuracy.parse_failure_rate;
}

int64_t rejective_fine_tuning(const config::Config& config, const run::RunDirectory& dir, run::MetricsLog& log) {
  const auto seed = static_cast<uint64_t>(config.run.seed);
  const std::shared_ptr<const tokenizer::Tokenizer> tokenizer = train::make_run_tokenizer(config);
  const data::PreferenceSources data = load_preference_data(config, *tokenizer);
  const std::shared_ptr<models::Transformer> grm = train::make_policy(config, *tokenizer);
  const auto eval_count = static_cast<uint64_t>(config.data.eval_size);

  // 0. The starting point: a warm start on oracle critiques stands in for a pretrained GRM.
  Metrics start;
  if (config.sft.warmup_steps > 0) start = train::warm_start(config, *tokenizer, *grm, nullptr, 0, 1);
  const grm::PromptTemplate prompt(grm::PromptOptions::from_config(config.grm));
  grm::ModelCritiqueSampler sampler(
      grm, tokenizer, grm::ModelSamplerOptions::from_config(config.grm, static_cast<uint64_t>(config.run.seed)));
  if (data.eval) add_accuracy(evaluate_grm(prompt, sampler, *data.eval, eval_count), start);
  log.write(0, start);
  if (data.eval) spdlog::info("GRM before RFT: held-out accuracy {:.3f}", start["grm/eval_accuracy"]);

  const grm::RftFilter filter(
      prompt, {static_cast<int>(config.grm.rft_samples), config.grm.temperature, config.grm.rft_hinted}, sampler);
  learner::SftTrainer trainer(*grm, config.sft.lr, nullptr,
                              static_cast<size_t>(config.distributed.bucket_mb * 1024 * 1024));
  const auto items_per_round = static_cast<uint64_t>(config.grm.rft_items);
  for (int64_t round = 0; round < config.grm.rft_rounds; ++round) {
    const auto began = std::chrono::steady_clock::now();
    // 1. Sample, judge, keep (fresh items each round).
    const std::vector<grm::PreferenceItem> items =
        take_items(*data.train, static_cast<uint64_t>(round) * items_per_round, items_per_round);
    const grm::RftResult selected = filter.select(items, grm::derive_seed(seed, static_cast<uint64_t>(round)));
    Metrics metrics;
    add_counts(selected.counts, metrics);
    // 2. Fine-tune on what was kept.
    const SftData sft = tokenize(selected.examples, *tokenizer, grm->config().max_position);
    metrics["rft/examples"] = static_cast<double>(sft.prompts.size());
    metrics["rft/too_long"] = static_cast<double>(sft.too_long);
    if (!sft.prompts.empty()) {
      const Metrics tuned =
          fine_tune(trainer, sft, config, data::mix_keys(seed, kSftOrderSalt, static_cast<uint64_t>(round)));
      metrics.insert(tuned.begin(), tuned.end());
    }
    // 3. Held-out accuracy after the round.
    if (data.eval) add_accuracy(evaluate_grm(prompt, sampler, *data.eval, eval_count), metrics);
    metrics["time/round_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    log.write(round + 1, metrics);
    dir.write_status("running", round + 1);
    spdlog::info("rft round {}/{} | kept {} of {} items ({} too easy) | sample acc {:.3f} | eval acc {:.3f} | {:.1f} s",
                 round + 1, config.grm.rft_rounds, selected.counts.kept_items, selected.counts.items,
                 selected.counts.too_easy, metrics["rft/sample_accuracy"],
                 data.eval ? metrics["grm/eval_accuracy"] : 0.0, metrics["time/round_s"]);
  }
  export_model(*grm, dir, config);
  return config.grm.rft_rounds;
}

}  // namespace

void run_grm_rft_job(const config::ResolvedConfig& resolved) {
  set_job_threads(resolved.config);
  run_in_directory(resolved, [&](const run::RunDirectory& dir, run::MetricsLog& log) {
    return rejective_fine_tuning(resolved.config, dir, log);
  });
}

void run_grm_job(const config::ResolvedConfig& resolved) {
  const config::Job job = resolved.config.run.job;
  if (job == config::Job::kGrmRft) return run_grm_rft_job(resolved);
  if (job == config::Job::kMetaRm) return run_meta_rm_job(resolved);
  if (job == config::Job::kScalarRm) return run_scalar_rm_job(resolved);
  throw UsageError("run.job: \"" + config::to_string(job) + "\" is not a GRM job (grm_rft, meta_rm or scalar_rm)");
}

}  // namespace spct::jobs
