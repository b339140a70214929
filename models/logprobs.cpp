#include "models/logprobs.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <string>
#include <utility>

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

// Throws spct::InputError for inputs completion_logprobs refuses. Returns {longest prompt, longest completion}.
std::pair<int64_t, int64_t> check_inputs(const std::vector<std::vector<int64_t>>& prompts,
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
  return {static_cast<int64_t>(longest_prompt), static_cast<int64_t>(longest_completion)};
}

// The completion tokens in [B, C] row-major order: their flat cells, ids and mask.
struct CompletionCells {
  std::vector<int64_t> cells;   // flat [B * C] index of every real completion token
  std::vector<int64_t> tokens;  // its id
  std::vector<uint8_t> mask;    // [B * C]
};

CompletionCells completion_cells(const std::vector<std::vector<int64_t>>& completions, int64_t c) {
  CompletionCells out;
  out.mask.assign(completions.size() * static_cast<size_t>(c), 0);
  for (size_t i = 0; i < completions.size(); ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      const size_t at = i * static_cast<size_t>(c) + j;
      out.mask[at] = 1;
      out.cells.push_back(static_cast<int64_t>(at));
      out.tokens.push_back(completions[i][j]);
    }
  }
  return out;
}

// The head over the states `states` [n, hidden] that predict the completion tokens of `cells` (row-major), in
// chunks, scattered back to [b, c] with zeros at padding; `out.mask` is set by the caller.
void head_over_cells(const Transformer& model, const at::Tensor& states, const CompletionCells& cells, int64_t b,
                     int64_t c, const LogProbOptions& options, CompletionLogProbs& out) {
  const auto n = static_cast<int64_t>(cells.cells.size());
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  const auto float_opts = at::TensorOptions().dtype(at::kFloat).device(model.device());
  const at::Tensor cell_index = at::tensor(at::ArrayRef<int64_t>(cells.cells), long_opts).to(model.device());
  const at::Tensor token_ids = at::tensor(at::ArrayRef<int64_t>(cells.tokens), long_opts).to(model.device());
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
}

// The mask of `cells` as [b, c] bool on the model's device; with no completion token at all, `out` gets zeros.
bool start_output(const Transformer& model, CompletionCells& cells, int64_t b, int64_t c, const LogProbOptions& options,
                  CompletionLogProbs& out) {
  out.mask =
      at::from_blob(cells.mask.data(), {b, c}, at::TensorOptions().dtype(at::kByte)).to(at::kBool).to(model.device());
  if (!cells.cells.empty()) return true;
  out.logprobs = at::zeros({b, c}, at::TensorOptions().dtype(at::kFloat).device(model.device()));
  if (options.with_entropy) out.entropy = out.logprobs.clone();
  return false;
}

}  // namespace

CompletionLogProbs completion_logprobs(const Transformer& model, const std::vector<std::vector<int64_t>>& prompts,
                                       const std::vector<std::vector<int64_t>>& completions,
                                       const LogProbOptions& options) {
  const auto [p, c] = check_inputs(prompts, completions, options);
  const auto b = static_cast<int64_t>(prompts.size());

  // Left-pad the prompts, then append completions, right-padded, column-aligned at P. Built on the host, so
  // that the model checks token ids there (no device sync) and one copy moves them.
  PaddedBatch batch = left_pad(prompts, at::kCPU);
  CompletionCells cells = completion_cells(completions, c);
  CompletionLogProbs out;
  if (!start_output(model, cells, b, c, options, out)) return out;
  std::vector<int64_t> ids(static_cast<size_t>(b * c), 0);
  std::vector<int64_t> positions(static_cast<size_t>(b * c), 0);
  for (size_t i = 0; i < completions.size(); ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      const size_t at = i * static_cast<size_t>(c) + j;
      ids[at] = completions[i][j];
      positions[at] = static_cast<int64_t>(prompts[i].size() + j);
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  const at::Tensor host_mask =
      at::from_blob(cells.mask.data(), {b, c}, at::TensorOptions().dtype(at::kByte)).to(at::kBool);
  const at::Tensor input_ids = at::cat({batch.input_ids, at::from_blob(ids.data(), {b, c}, long_opts)}, 1);
  const at::Tensor position_ids = at::cat({batch.position_ids, at::from_blob(positions.data(), {b, c}, long_opts)}, 1);
  const at::Tensor attention_mask = at::cat({batch.attention_mask, host_mask}, 1);
  const auto n = static_cast<int64_t>(cells.cells.size());
  const at::Tensor cell_index = at::from_blob(cells.cells.data(), {n}, long_opts).clone().to(model.device());

  const at::Tensor hidden =
      model.hidden_states(input_ids, position_ids, attention_mask, /*cache=*/nullptr, options.moe);
  // Column P + j - 1 predicts completion token j; keep only the real tokens' states.
  const at::Tensor states = hidden.narrow(1, p - 1, c).reshape({b * c, hidden.size(2)}).index_select(0, cell_index);
  head_over_cells(model, states, cells, b, c, options, out);
  return out;
}

CompletionLogProbs packed_completion_logprobs(const Transformer& model,
                                              const std::vector<std::vector<int64_t>>& prompts,
                                              const std::vector<std::vector<int64_t>>& completions,
                                              const std::vector<std::vector<int64_t>>& packing,
                                              const LogProbOptions& options) {
  const int64_t c = check_inputs(prompts, completions, options).second;
  const auto b = static_cast<int64_t>(prompts.size());
  std::vector<bool> placed(prompts.size(), false);
  for (size_t r = 0; r < packing.size(); ++r) {
    for (const int64_t i : packing[r]) {
      if (i < 0 || i >= b || placed[static_cast<size_t>(i)]) {
        throw InputError("logprobs: packed row " + std::to_string(r) + " lists sequence " + std::to_string(i) +
                         (i < 0 || i >= b ? ", outside [0, " + std::to_string(b) + ")" : " a second time"));
      }
      placed[static_cast<size_t>(i)] = true;
    }
  }
  for (size_t i = 0; i < placed.size(); ++i) {
    if (!placed[i]) throw InputError("logprobs: sequence " + std::to_string(i) + " is in no packed row");
  }
  CompletionCells cells = completion_cells(completions, c);
  CompletionLogProbs out;
  if (!start_output(model, cells, b, c, options, out)) return out;

  // Each row's tokens, built per row and then padded to the widest. A sequence is its prompt then its completion
  // (segment i for both, positions from 0); with shared prompts, a prompt equal to the one laid out last in the
  // row is not laid out again: the completion follows in a segment of its own that names the prompt's segment
  // (b + k for the k-th prompt laid out) as its prefix, positions continuing from the prompt's length.
  struct Row {
    std::vector<int64_t> ids, positions, segments, prefixes;
    void push(int64_t id, int64_t position, int64_t segment, int64_t prefix) {
      ids.push_back(id);
      positions.push_back(position);
      segments.push_back(segment);
      prefixes.push_back(prefix);
    }
  };
  std::vector<Row> laid(packing.size());
  // Per sequence: its row, the column of its prompt's last token and the column of its completion's first.
  struct Placement {
    size_t row = 0;
    int64_t prompt_last = 0, completion_first = 0;
  };
  std::vector<Placement> placements(prompts.size());
  int64_t prompt_segment = b;
  for (size_t r = 0; r < packing.size(); ++r) {
    Row& row = laid[r];
    const std::vector<int64_t>* last_prompt = nullptr;
    int64_t last_segment = -1, last_end = 0;  // the last laid-out prompt's segment and the column after it
    for (const int64_t i : packing[r]) {
      const std::vector<int64_t>& prompt = prompts[static_cast<size_t>(i)];
      const auto prompt_length = static_cast<int64_t>(prompt.size());
      const bool reuse = options.share_prompts && last_prompt != nullptr && *last_prompt == prompt;
      if (!reuse) {
        const int64_t segment = options.share_prompts ? prompt_segment++ : i;
        for (int64_t j = 0; j < prompt_length; ++j) row.push(prompt[static_cast<size_t>(j)], j, segment, segment);
        last_prompt = &prompt;
        last_segment = segment;
        last_end = static_cast<int64_t>(row.ids.size());
      }
      placements[static_cast<size_t>(i)] = {r, last_end - 1, static_cast<int64_t>(row.ids.size())};
      const std::vector<int64_t>& completion = completions[static_cast<size_t>(i)];
      for (size_t j = 0; j < completion.size(); ++j) {
        row.push(completion[j], prompt_length + static_cast<int64_t>(j), i, last_segment);
      }
    }
  }
  int64_t width = 0;
  for (const Row& row : laid) width = std::max(width, static_cast<int64_t>(row.ids.size()));
  const auto rows = static_cast<int64_t>(packing.size());
  std::vector<int64_t> ids(static_cast<size_t>(rows * width), 0);
  std::vector<int64_t> positions(static_cast<size_t>(rows * width), 0);
  std::vector<int64_t> segments(static_cast<size_t>(rows * width), -1);
  std::vector<int64_t> prefixes(static_cast<size_t>(rows * width), -1);
  for (size_t r = 0; r < laid.size(); ++r) {
    const auto at = static_cast<std::ptrdiff_t>(r * static_cast<size_t>(width));
    std::copy(laid[r].ids.begin(), laid[r].ids.end(), ids.begin() + at);
    std::copy(laid[r].positions.begin(), laid[r].positions.end(), positions.begin() + at);
    std::copy(laid[r].segments.begin(), laid[r].segments.end(), segments.begin() + at);
    std::copy(laid[r].prefixes.begin(), laid[r].prefixes.end(), prefixes.begin() + at);
  }
  // The flat [rows * width] cell of the state predicting each completion token, in row-major [B, C] order.
  std::vector<int64_t> state_cells;
  // Completion token 0 is predicted by its prompt's last state, token j > 0 by the completion's token j - 1.
  for (size_t i = 0; i < completions.size(); ++i) {
    const Placement& p = placements[i];
    const int64_t row = static_cast<int64_t>(p.row) * width;
    for (size_t j = 0; j < completions[i].size(); ++j) {
      state_cells.push_back(row + (j == 0 ? p.prompt_last : p.completion_first + static_cast<int64_t>(j) - 1));
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  // Copies, not views of the vectors: autograd keeps the ids (the embedding's backward) past this function.
  const auto host = [&](std::vector<int64_t>& values) {
    return at::from_blob(values.data(), {rows, width}, long_opts).clone();
  };
  const at::Tensor hidden = model.packed_hidden_states(host(ids), host(positions), host(segments), options.moe,
                                                       options.share_prompts ? host(prefixes) : at::Tensor());
  const auto n = static_cast<int64_t>(state_cells.size());
  const at::Tensor state_index = at::from_blob(state_cells.data(), {n}, long_opts).clone().to(model.device());
  const at::Tensor states = hidden.reshape({rows * width, hidden.size(2)}).index_select(0, state_index);
  head_over_cells(model, states, cells, b, c, options, out);
  return out;
}

}  // namespace spct::models
