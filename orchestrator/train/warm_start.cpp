#include "orchestrator/train/warm_start.h"

#include "core/log.h"
#include "learner/sft_trainer.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/data/deterministic_random.h"
#include "orchestrator/data/prompt_sources.h"
#include "orchestrator/data/prompt_stream.h"
#include "orchestrator/train/prompt_text.h"

namespace spct::train {

Metrics warm_start(const config::Config& config, const tokenizer::Tokenizer& tokenizer, models::Transformer& policy,
                   comm::Communicator* learners, int learner_index, int learner_count) {
  const data::PromptSources sources = data::make_prompt_sources(config);
  // A stream of its own, so the GRPO stream sees the same prompts with or without a warm start.
  constexpr uint64_t kWarmStartSalt = 0x5f7a17;
  data::PromptStream stream(sources.train, data::mix_keys(static_cast<uint64_t>(config.run.seed), kWarmStartSalt),
                            true);
  const tokenizer::ChatFormat chat_format = tokenizer::make_chat_format(config.tokenizer, config.model.path);
  const auto bucket_bytes = static_cast<std::size_t>(config.distributed.bucket_mb * 1024 * 1024);
  learner::SftTrainer trainer(policy, config.sft.lr, learners, bucket_bytes);
  const int64_t per_learner = config.sft.batch_size / learner_count;

  Metrics metrics;
  for (int64_t step = 0; step < config.sft.warmup_steps; ++step) {
    const std::vector<data::PromptItem> batch = stream.next_batch(static_cast<uint64_t>(config.sft.batch_size));
    std::vector<std::vector<int64_t>> prompts, targets;
    for (int64_t i = learner_index * per_learner; i < (learner_index + 1) * per_learner; ++i) {
      const data::PromptItem& item = batch[static_cast<std::size_t>(i)];
      const std::vector<int32_t> prompt = tokenizer.encode(prompt_text(item, chat_format));
      std::vector<int32_t> target = tokenizer.encode(item.answer);
      target.push_back(tokenizer.eos_id());
      prompts.emplace_back(prompt.begin(), prompt.end());
      targets.emplace_back(target.begin(), target.end());
    }
    const double loss = trainer.step(prompts, targets);
    if (step == 0) metrics["sft/loss_first"] = loss;
    metrics["sft/loss_last"] = loss;
    if ((step + 1) % 50 == 0 || step + 1 == config.sft.warmup_steps) {
      spdlog::info("warm start {}/{} | sft loss {:.4f}", step + 1, config.sft.warmup_steps, loss);
    }
  }
  return metrics;
}

}  // namespace spct::train
