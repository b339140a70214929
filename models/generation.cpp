#include "models/generation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/ones.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <memory>
#include <string>

#include "core/error.h"

namespace spct::models {
namespace {

// Per-request progress while it is still in the batch.
struct Running {
  size_t request;  // index into requests / completions
  at::Generator generator;
  int64_t next_position;  // position id of the token to be fed next
};

std::vector<int64_t> to_host(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<float> to_host_float(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

at::Tensor long_tensor(std::vector<int64_t> values, at::Device device) {
  const auto n = static_cast<int64_t>(values.size());
  return at::from_blob(values.data(), {n}, at::TensorOptions().dtype(at::kLong)).clone().to(device);
}

// Records this step's token of each running row; returns whether the row is finished.
bool record(Completion& c, int64_t token, float sampling_logprob, float logprob, const SamplingParams& params) {
  c.tokens.push_back(token);
  c.sampling_logprobs.push_back(sampling_logprob);
  c.logprobs.push_back(logprob);
  if (std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), token) != params.stop_token_ids.end()) {
    c.finish_reason = FinishReason::kStopToken;
    return true;
  }
  if (!params.stop_strings.empty()) {
    const std::string text = params.decode(c.tokens);
    for (const std::string& stop : params.stop_strings) {
      if (text.find(stop) != std::string::npos) {
        c.finish_reason = FinishReason::kStopString;
        return true;
      }
    }
  }
  if (static_cast<int64_t>(c.tokens.size()) >= params.max_new_tokens) {
    c.finish_reason = FinishReason::kLength;
    return true;
  }
  return false;
}

}  // namespace

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStopToken: return "stop_token";
    case FinishReason::kStopString: return "stop_string";
    case FinishReason::kLength: return "length";
  }
  return "?";
}

PaddedBatch left_pad(const std::vector<std::vector<int64_t>>& sequences, at::Device device) {
  const auto b = static_cast<int64_t>(sequences.size());
  size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  const auto l = static_cast<int64_t>(longest);
  std::vector<int64_t> ids(static_cast<size_t>(b * l), 0);
  std::vector<int64_t> positions(static_cast<size_t>(b * l), 0);
  std::vector<uint8_t> mask(static_cast<size_t>(b * l), 0);
  for (size_t i = 0; i < sequences.size(); ++i) {
    const size_t pad = longest - sequences[i].size();
    for (size_t j = 0; j < sequences[i].size(); ++j) {
      const size_t at = i * longest + pad + j;
      ids[at] = sequences[i][j];
      positions[at] = static_cast<int64_t>(j);
      mask[at] = 1;
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  PaddedBatch batch;
  batch.input_ids = at::from_blob(ids.data(), {b, l}, long_opts).clone().to(device);
  batch.position_ids = at::from_blob(positions.data(), {b, l}, long_opts).clone().to(device);
  batch.attention_mask =
      at::from_blob(mask.data(), {b, l}, at::TensorOptions().dtype(at::kByte)).to(at::kBool).to(device);
  return batch;
}

std::vector<Completion> generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                 const SamplingParams& params, const GenerationOptions& options) {
  validate(params);
  std::vector<Completion> completions(requests.size());
  if (requests.empty()) return completions;
  std::vector<std::vector<int64_t>> sequences;
  std::vector<Running> running;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].prompt.empty()) throw InputError("generate: request " + std::to_string(i) + " has an empty prompt");
    sequences.push_back(requests[i].prompt);
    running.push_back({i, at::make_generator<at::CPUGeneratorImpl>(requests[i].seed),
                       static_cast<int64_t>(requests[i].prompt.size())});
  }
  // Inference mode, not just no-grad: it also skips version counting and view tracking, which is a large
  // share of the cost of the many small ops of a decode step.
  c10::InferenceMode inference;
  const at::Device device = model.device();
  const PaddedBatch prompt = left_pad(sequences, device);
  std::unique_ptr<KvCache> cache;
  if (options.use_cache) {
    cache = std::make_unique<KvCache>(
        model.make_cache(static_cast<int64_t>(requests.size()), prompt.input_ids.size(1) + params.max_new_tokens));
  }
  // Prefill; only the last column's logits are needed (left padding puts every row's last token there).
  at::Tensor hidden = model.hidden_states(prompt.input_ids, prompt.position_ids, prompt.attention_mask, cache.get());
  at::Tensor logits = model.logits(hidden.select(1, hidden.size(1) - 1));

  while (true) {
    std::vector<at::Generator> generators;
    for (const Running& r : running) generators.push_back(r.generator);
    const SampledTokens sampled = sample_next(logits, params, generators);
    const std::vector<int64_t> tokens = to_host(sampled.tokens);
    const std::vector<float> sampling_logprobs = to_host_float(sampled.sampling_logprobs);
    const std::vector<float> logprobs = to_host_float(sampled.logprobs);

    std::vector<int64_t> keep;  // rows of the current batch that go on
    for (size_t row = 0; row < running.size(); ++row) {
      Completion& c = completions[running[row].request];
      if (!record(c, tokens[row], sampling_logprobs[row], logprobs[row], params))
        keep.push_back(static_cast<int64_t>(row));
    }
    if (keep.empty()) break;

    std::vector<Running> next_running;
    std::vector<int64_t> next_tokens;
    std::vector<int64_t> next_positions;
    for (const int64_t row : keep) {
      Running r = running[static_cast<size_t>(row)];
      next_tokens.push_back(tokens[static_cast<size_t>(row)]);
      next_positions.push_back(r.next_position++);
      next_running.push_back(std::move(r));
    }
    const auto b = static_cast<int64_t>(keep.size());
    const at::Tensor ids = long_tensor(next_tokens, device).view({b, 1});
    const at::Tensor positions = long_tensor(next_positions, device).view({b, 1});
    if (cache) {
      if (keep.size() < running.size()) cache->keep_rows(long_tensor(keep, device));
      const at::Tensor mask = at::ones({b, 1}, at::TensorOptions().dtype(at::kBool).device(device));
      logits = model.forward(ids, positions, mask, cache.get()).select(1, 0);
    } else {
      // Recompute: every running row's prompt and completion so far, re-padded, through the whole model.
      std::vector<std::vector<int64_t>> full;
      for (const Running& r : next_running) {
        std::vector<int64_t> seq = requests[r.request].prompt;
        const std::vector<int64_t>& done = completions[r.request].tokens;
        seq.insert(seq.end(), done.begin(), done.end());
        full.push_back(std::move(seq));
      }
      const PaddedBatch batch = left_pad(full, device);
      hidden = model.hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask);
      logits = model.logits(hidden.select(1, hidden.size(1) - 1));
    }
    running = std::move(next_running);
  }
  return completions;
}

}  // namespace spct::models
