#include "learner/sft_loss.h"

#include "core/error.h"
#include "learner/tensor_checks.h"

namespace spct::learner {
namespace {

constexpr const char* kFn = "sft_loss";

}  // namespace

at::Tensor sft_loss(const at::Tensor& logprobs, const at::Tensor& mask) {
  require_floating(kFn, "logprobs", logprobs);
  require_dim(kFn, "logprobs", logprobs, 2);
  require_shape(kFn, "mask", mask, logprobs.sizes().vec());
  const at::Tensor m = bool_mask(kFn, "mask", mask);
  const at::Tensor masked = logprobs.masked_fill(m.logical_not(), 0.0);
  const int64_t tokens = m.sum().item<int64_t>();
  if (tokens == 0) return masked.sum().mul(0.0);
  return masked.sum().div(-static_cast<double>(tokens));
}

at::Tensor sft_loss(const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& mask) {
  require_floating(kFn, "logits", logits);
  require_dim(kFn, "logits", logits, 3);
  const int64_t vocab = logits.size(2);
  require_shape(kFn, "targets", targets, {logits.size(0), logits.size(1)});
  require_shape(kFn, "mask", mask, {logits.size(0), logits.size(1)});
  if (targets.scalar_type() != at::kLong) {
    throw Error(ExitCode::kFailure,
                std::string("sft_loss: targets must be int64, got ") + c10::toString(targets.scalar_type()));
  }
  const at::Tensor m = bool_mask(kFn, "mask", mask);
  // Padding ids may be anything (often -100): only masked-in ids must index the vocabulary.
  const at::Tensor ids = targets.masked_fill(m.logical_not(), 0);
  if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= vocab)) {
    throw Error(ExitCode::kFailure,
                "sft_loss: a masked-in target id is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  }
  const at::Tensor logprobs = logits.log_softmax(-1).gather(2, ids.unsqueeze(2)).squeeze(2);
  return sft_loss(logprobs, m);
}

}  // namespace spct::learner
