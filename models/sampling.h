// Picking the next token from a batch of logits: temperature, top-k and top-p (nucleus) filtering, and
// sampling with one random generator per row so that a sequence's draws do not depend on its batch.
//
// Order of operations (as Hugging Face applies its logits warpers): scale by 1/temperature, keep the top_k
// largest, keep the smallest prefix of the remaining distribution whose probability reaches top_p (always at
// least one token), renormalise, sample by inverse CDF with one uniform draw per row from that row's generator.
// temperature == 0 is greedy: the argmax, deterministic, no draw taken.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spct::models {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy; otherwise > 0
  int64_t top_k = 0;         // keep the k most likely tokens; 0 = all
  double top_p = 1.0;        // nucleus mass in (0, 1]; 1 = all
  int64_t max_new_tokens = 16;
  std::vector<int64_t> stop_token_ids;    // a sampled stop token ends its sequence (and is kept in it)
  std::vector<std::string> stop_strings;  // the sequence ends once its decoded text contains one of these
  // Decodes a completion's tokens to text for the stop-string check; required when stop_strings is non-empty
  // (the caller owns the tokenizer). Called once per sequence per generated token.
  std::function<std::string(const std::vector<int64_t>&)> decode;
};

// Throws spct::InputError naming the field when a value is out of range.
void validate(const SamplingParams& params);

struct SampledTokens {
  at::Tensor tokens;  // [B] int64
  // log of the probability the token had under the distribution it was drawn from: log-softmax of the
  // temperature-scaled, top-k/top-p filtered logits (0 for greedy: a point mass). This is the behaviour
  // policy's log-prob, the one importance-sampling corrections need.
  at::Tensor sampling_logprobs;  // [B] float32
  // log-softmax of the raw logits (temperature 1, no filtering): the model's own log-prob of the token, the
  // one teacher-forced scoring (models/logprobs.h) reproduces.
  at::Tensor logprobs;  // [B] float32
};

// logits [B, V] (any float dtype, any device); generators.size() == B, CPU generators, row i uses generators[i].
SampledTokens sample_next(const at::Tensor& logits, const SamplingParams& params,
                          std::vector<at::Generator>& generators);

}  // namespace spct::models
