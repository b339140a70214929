#include "workers/reward/grm_model/meta_rm_trainer.h"

#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <ATen/ops/tensor.h>

#include "core/error.h"
#include "models/generation.h"

namespace spct::grm {

MetaRmTrainer::MetaRmTrainer(models::ScalarHeadModel& model, const learner::AdamWOptions& options) : model_(model) {
  model_.set_requires_grad(true);
  std::vector<at::Tensor> params;
  for (const models::NamedTensor& p : model_.trainable_parameters()) params.push_back(p.tensor);
  optimizer_ = std::make_unique<learner::AdamW>(std::move(params), options);
}

double MetaRmTrainer::step(const std::vector<const MetaRmExample*>& batch) {
  if (batch.empty()) throw Error(ExitCode::kFailure, "meta RM training: an empty batch");
  std::vector<std::vector<int64_t>> sequences;
  std::vector<float> labels;
  for (const MetaRmExample* example : batch) {
    sequences.push_back(example->tokens);
    labels.push_back(example->correct ? 1.0F : 0.0F);
  }
  const models::PaddedBatch padded = models::left_pad(sequences, model_.backbone().device());
  const at::Tensor logits = model_.score(padded.input_ids, padded.position_ids, padded.attention_mask);
  const at::Tensor targets = at::tensor(labels, at::TensorOptions().dtype(at::kFloat)).to(logits.device());
  const at::Tensor loss = at::binary_cross_entropy_with_logits(logits, targets);
  optimizer_->zero_grad();
  loss.backward();
  optimizer_->step();
  return loss.item<double>();
}

}  // namespace spct::grm
