// Supervised fine-tuning loss: masked token-level cross-entropy, one mean over all masked tokens of the batch.
// Used for warm starts and for SPCT's rejective fine-tuning (RFT) phase on the critiques that were kept.
//
// Thread safety: pure functions of their inputs.
#pragma once

#include <ATen/core/Tensor.h>

namespace spct::learner {

// From per-token log-probs of the target tokens (models/logprobs.h): -sum(m * logp) / sum(m).
// Differentiable w.r.t. logprobs; 0 (with a zero gradient) when the mask is empty. Masked-out positions are
// never used (padding may hold -inf).
// REQUIRES: logprobs [N,T] floating, mask [N,T] bool or 0/1; throws spct::Error naming the input.
at::Tensor sft_loss(const at::Tensor& logprobs, const at::Tensor& mask);

// From full logits [N,T,V] and target token ids [N,T] (int64, in [0, V) where masked in; padding ids are
// ignored): the same mean over masked tokens of -log softmax(logits)[target].
at::Tensor sft_loss(const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& mask);

}  // namespace spct::learner
