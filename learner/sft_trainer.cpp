#include "learner/sft_trainer.h"

#include "learner/sft_loss.h"
#include "models/logprobs.h"

namespace spct::learner {

SftTrainer::SftTrainer(models::Transformer& policy, double lr, comm::Communicator* peers, std::size_t bucket_bytes)
    : policy_(policy), peers_(peers != nullptr && peers->size() > 1 ? peers : nullptr) {
  // A LoRA policy (adapters attached) warm-starts its adapters alone; the base stays frozen.
  if (policy_.adapter_parameters().empty()) policy_.set_requires_grad(true);
  distributed::NamedTensors named;
  for (const models::NamedTensor& parameter : policy_.trainable_parameters()) {
    params_.push_back(parameter.tensor);
    named.emplace_back(parameter.name, parameter.tensor);
  }
  AdamWOptions options;
  options.lr = lr;
  options.weight_decay = 0.0;
  optimizer_ = std::make_unique<AdamW>(params_, options);
  if (peers_ != nullptr) grad_sync_ = std::make_unique<distributed::GradSync>(*peers_, std::move(named), bucket_bytes);
}

SftTrainer::~SftTrainer() = default;

double SftTrainer::step(const std::vector<std::vector<int64_t>>& prompts,
                        const std::vector<std::vector<int64_t>>& targets) {
  const models::CompletionLogProbs scored = models::completion_logprobs(policy_, prompts, targets);
  const at::Tensor loss = sft_loss(scored.logprobs, scored.mask);
  optimizer_->zero_grad();
  if (grad_sync_ != nullptr) grad_sync_->arm();  // buckets all-reduce while backward runs
  loss.backward();
  if (grad_sync_ != nullptr) grad_sync_->sync();  // equal shards: the average of means is the global mean
  optimizer_->step();
  double value = loss.item<double>();
  if (peers_ != nullptr) peers_->all_reduce(&value, 1, comm::DataType::kFloat64, comm::ReduceOp::kAvg);
  return value;
}

}  // namespace spct::learner
