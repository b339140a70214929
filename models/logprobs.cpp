#include "models/logprobs.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <string>

#include "core/error.h"
#include "models/generation.h"

namespace spct::models {

CompletionLogProbs completion_logprobs(const Transformer& model, const std::vector<std::vector<int64_t>>& prompts,
                                       const std::vector<std::vector<int64_t>>& completions,
                                       const LogProbOptions& options) {
  if (prompts.size() != completions.size() || prompts.empty()) {
    throw InputError("logprobs: " + std::to_string(prompts.size()) + " prompts and " +
                     std::to_string(completions.size()) + " completions; need the same non-zero number");
  }
  if (!(options.temperature > 0)) throw InputError("logprobs: temperature must be > 0");
  size_t longest_prompt = 0;
  size_t longest_completion = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) throw InputError("logprobs: prompt " + std::to_string(i) + " is empty");
    longest_prompt = std::max(longest_prompt, prompts[i].size());
    longest_completion = std::max(longest_completion, completions[i].size());
  }
  const auto b = static_cast<int64_t>(prompts.size());
  const auto p = static_cast<int64_t>(longest_prompt);
  const auto c = static_cast<int64_t>(longest_completion);

  // Left-pad the prompts, then append completions, right-padded, column-aligned at P.
  PaddedBatch batch = left_pad(prompts, model.device());
  std::vector<int64_t> ids(static_cast<size_t>(b * c), 0);
  std::vector<int64_t> positions(static_cast<size_t>(b * c), 0);
  std::vector<uint8_t> mask(static_cast<size_t>(b * c), 0);
  for (size_t i = 0; i < completions.size(); ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      const size_t at = i * longest_completion + j;
      ids[at] = completions[i][j];
      positions[at] = static_cast<int64_t>(prompts[i].size() + j);
      mask[at] = 1;
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  const at::Tensor completion_ids = at::from_blob(ids.data(), {b, c}, long_opts).clone().to(model.device());
  const at::Tensor completion_mask =
      at::from_blob(mask.data(), {b, c}, at::TensorOptions().dtype(at::kByte)).to(at::kBool).to(model.device());
  const at::Tensor input_ids = at::cat({batch.input_ids, completion_ids}, 1);
  const at::Tensor position_ids =
      at::cat({batch.position_ids, at::from_blob(positions.data(), {b, c}, long_opts).clone().to(model.device())}, 1);
  const at::Tensor attention_mask = at::cat({batch.attention_mask, completion_mask}, 1);

  CompletionLogProbs out;
  out.mask = completion_mask;
  if (c == 0) {
    out.logprobs = at::zeros({b, 0}, at::TensorOptions().dtype(at::kFloat).device(model.device()));
    if (options.with_entropy) out.entropy = out.logprobs.clone();
    return out;
  }
  const at::Tensor hidden = model.hidden_states(input_ids, position_ids, attention_mask);
  // Column P + j - 1 predicts completion token j.
  at::Tensor logits = model.logits(hidden.narrow(1, p - 1, c)).to(at::kFloat);
  if (options.temperature != 1.0) logits = logits / options.temperature;
  const at::Tensor token_logits = logits.gather(2, completion_ids.unsqueeze(2)).squeeze(2);
  const at::Tensor lse = at::logsumexp(logits, {2});
  out.logprobs = (token_logits - lse).masked_fill(completion_mask.logical_not(), 0.0);
  if (options.with_entropy) {
    const at::Tensor logp = at::log_softmax(logits, 2);
    out.entropy = -(logp.exp() * logp).sum(2).masked_fill(completion_mask.logical_not(), 0.0);
  }
  return out;
}

}  // namespace spct::models
