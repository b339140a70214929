#include "models/logprobs.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <string>

#include "core/error.h"
#include "models/generation.h"
#include "models/recompute.h"

namespace spct::models {
namespace {

// Log-probs of `ids` [N] under the head's distribution at hidden states `hidden` [N, hidden], and (when
// `with_entropy`) the distribution's entropies: {logprobs [N], entropy [N]} float32. The entropy is computed
// from detached logits unless `entropy_grad`.
std::vector<at::Tensor> head_logprobs(const Transformer& model, const at::Tensor& hidden, const at::Tensor& ids,
                                      double temperature, bool with_entropy, bool entropy_grad) {
  at::Tensor logits = model.logits(hidden).to(at::kFloat);
  if (temperature != 1.0) logits = logits / temperature;
  const at::Tensor lse = at::logsumexp(logits, {1}, /*keepdim=*/true);
  std::vector<at::Tensor> out{(logits.gather(1, ids.unsqueeze(1)) - lse).squeeze(1)};
  if (with_entropy) {
    const auto entropy = [](const at::Tensor& z, const at::Tensor& norm) {
      return (norm - ((z - norm).exp() * z).sum(1, /*keepdim=*/true)).squeeze(1);
    };
    if (entropy_grad) {
      out.push_back(entropy(logits, lse));
    } else {
      const at::NoGradGuard no_grad;
      out.push_back(entropy(logits.detach(), lse.detach()));
    }
  }
  return out;
}

}  // namespace

CompletionLogProbs completion_logprobs(const Transformer& model, const std::vector<std::vector<int64_t>>& prompts,
                                       const std::vector<std::vector<int64_t>>& completions,
                                       const LogProbOptions& options) {
  if (prompts.size() != completions.size() || prompts.empty()) {
    throw InputError("logprobs: " + std::to_string(prompts.size()) + " prompts and " +
                     std::to_string(completions.size()) + " completions; need the same non-zero number");
  }
  if (!(options.temperature > 0)) throw InputError("logprobs: temperature must be > 0");
  if (options.chunk_tokens < 1) {
    throw InputError("logprobs: chunk_tokens is " + std::to_string(options.chunk_tokens) + ", must be >= 1");
  }
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

  // Left-pad the prompts, then append completions, right-padded, column-aligned at P. Built on the host, so
  // that the model checks token ids there (no device sync) and one copy moves them.
  PaddedBatch batch = left_pad(prompts, at::kCPU);
  std::vector<int64_t> ids(static_cast<size_t>(b * c), 0);
  std::vector<int64_t> positions(static_cast<size_t>(b * c), 0);
  std::vector<uint8_t> mask(static_cast<size_t>(b * c), 0);
  std::vector<int64_t> cells;  // flat [B * C] index of every real completion token, row-major
  std::vector<int64_t> tokens;
  for (size_t i = 0; i < completions.size(); ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      const size_t at = i * longest_completion + j;
      ids[at] = completions[i][j];
      positions[at] = static_cast<int64_t>(prompts[i].size() + j);
      mask[at] = 1;
      cells.push_back(static_cast<int64_t>(at));
      tokens.push_back(completions[i][j]);
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  const at::Tensor host_mask = at::from_blob(mask.data(), {b, c}, at::TensorOptions().dtype(at::kByte)).to(at::kBool);
  const at::Tensor completion_mask = host_mask.to(model.device());
  const auto n = static_cast<int64_t>(cells.size());
  CompletionLogProbs out;
  out.mask = completion_mask;
  const auto float_opts = at::TensorOptions().dtype(at::kFloat).device(model.device());
  if (n == 0) {
    out.logprobs = at::zeros({b, c}, float_opts);
    if (options.with_entropy) out.entropy = out.logprobs.clone();
    return out;
  }
  const at::Tensor input_ids = at::cat({batch.input_ids, at::from_blob(ids.data(), {b, c}, long_opts)}, 1);
  const at::Tensor position_ids = at::cat({batch.position_ids, at::from_blob(positions.data(), {b, c}, long_opts)}, 1);
  const at::Tensor attention_mask = at::cat({batch.attention_mask, host_mask}, 1);
  const at::Tensor cell_index = at::from_blob(cells.data(), {n}, long_opts).clone().to(model.device());
  const at::Tensor token_ids = at::from_blob(tokens.data(), {n}, long_opts).clone().to(model.device());

  const at::Tensor hidden =
      model.hidden_states(input_ids, position_ids, attention_mask, /*cache=*/nullptr, options.moe);
  // Column P + j - 1 predicts completion token j; keep only the real tokens' states.
  const at::Tensor states = hidden.narrow(1, p - 1, c).reshape({b * c, hidden.size(2)}).index_select(0, cell_index);

  const bool differentiable = at::GradMode::is_enabled() && states.requires_grad();
  const bool recompute = differentiable && n > options.chunk_tokens;
  std::vector<at::Tensor> logprob_chunks, entropy_chunks;
  for (int64_t begin = 0; begin < n; begin += options.chunk_tokens) {
    const int64_t count = std::min(options.chunk_tokens, n - begin);
    const at::Tensor chunk_ids = token_ids.narrow(0, begin, count);
    const at::Tensor chunk_states = states.narrow(0, begin, count);
    std::vector<at::Tensor> parts;
    if (recompute) {
      // Recomputed in backward: only the log-probs (and a differentiable entropy) need gradients there.
      const std::size_t with_grad = options.with_entropy && options.entropy_grad ? 2 : 1;
      const RecomputeFn fn = [&model, chunk_ids, options, with_grad](const std::vector<at::Tensor>& in,
                                                                     bool recomputing) {
        return head_logprobs(model, in[0], chunk_ids, options.temperature,
                             options.with_entropy && (!recomputing || with_grad == 2), options.entropy_grad);
      };
      parts = recompute_in_backward(fn, {chunk_states}, with_grad);
    } else {
      parts = head_logprobs(model, chunk_states, chunk_ids, options.temperature, options.with_entropy,
                            options.entropy_grad);
    }
    logprob_chunks.push_back(parts[0]);
    if (options.with_entropy) entropy_chunks.push_back(parts[1]);
  }
  // Back to [B, C] with zeros at padding.
  const auto scatter = [&](const std::vector<at::Tensor>& chunks) {
    const at::Tensor values = chunks.size() == 1 ? chunks[0] : at::cat(chunks);
    return at::zeros({b * c}, float_opts).index_copy(0, cell_index, values).view({b, c});
  };
  out.logprobs = scatter(logprob_chunks);
  if (options.with_entropy) out.entropy = scatter(entropy_chunks);
  return out;
}

}  // namespace spct::models
