#include "models/generation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/searchsorted.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <catch2/catch.hpp>
#include <limits>
#include <tuple>

#include "core/error.h"
#include "models/logprobs.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

const std::vector<std::vector<int64_t>> kPrompts = {{3, 14, 15, 92, 65}, {35, 89}, {79, 32, 38, 46, 26, 43, 38, 32}};

std::vector<GenerationRequest> requests(const std::vector<std::vector<int64_t>>& prompts, uint64_t seed0 = 100) {
  std::vector<GenerationRequest> out;
  for (size_t i = 0; i < prompts.size(); ++i) out.push_back({prompts[i], seed0 + i});
  return out;
}

void check_close(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::abs(a[i] - b[i]) <= tol);
}

}  // namespace

TEST_CASE("KV-cache decoding equals full recomputation") {
  // Gemma 2's sliding layer (window 4) decodes past its window: prompts of up to 8 tokens, 12 new ones.
  for (const auto& [family, moe] : {std::pair{Family::kLlama, false}, std::pair{Family::kQwen2, false},
                                    std::pair{Family::kQwen3, true}, std::pair{Family::kGemma2, false}}) {
    const Transformer m(tiny_config(family, moe), 11);
    SamplingParams greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 12;
    const auto cached = generate(m, requests(kPrompts), greedy, {.use_cache = true});
    const auto recomputed = generate(m, requests(kPrompts), greedy, {.use_cache = false});
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      CHECK(cached[i].tokens == recomputed[i].tokens);
      check_close(cached[i].logprobs, recomputed[i].logprobs, 1e-4);
    }
    SamplingParams sampled;
    sampled.max_new_tokens = 12;
    const auto a = generate(m, requests(kPrompts), sampled, {.use_cache = true});
    const auto b = generate(m, requests(kPrompts), sampled, {.use_cache = false});
    for (size_t i = 0; i < kPrompts.size(); ++i) CHECK(a[i].tokens == b[i].tokens);
  }
}

TEST_CASE("generation after the weights are written in place samples from the new weights") {
  // Wide enough that generation packs its projections (models/packed_weight.h), so a stale packed copy would
  // keep generating from the old weights; with as many kv heads as query heads, k and v are packed too, so q, k
  // and v (with Qwen2's biases) and gate and up are stacked (models/fused_projections.h).
  ModelConfig c = tiny_config(Family::kQwen2);
  c.hidden_size = 256;
  c.head_dim = 64;
  c.num_kv_heads = c.num_heads;
  c.intermediate_size = 512;
  c.vocab_size = 300;
  Transformer synced(c, 1);
  const Transformer source(c, 2);
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 6;
  const auto before = generate(synced, requests(kPrompts), greedy);
  {
    const at::NoGradGuard no_grad;  // as a weight sync loads them
    const std::vector<NamedTensor> from = source.named_parameters();
    const std::vector<NamedTensor> to = synced.named_parameters();
    for (size_t i = 0; i < to.size(); ++i) to[i].tensor.copy_(from[i].tensor);
  }
  const auto after = generate(synced, requests(kPrompts), greedy);
  const auto expected = generate(source, requests(kPrompts), greedy);
  bool changed = false;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    CHECK(after[i].tokens == expected[i].tokens);
    CHECK(after[i].logprobs == expected[i].logprobs);
    changed = changed || before[i].tokens != after[i].tokens;
  }
  CHECK(changed);  // the two models do generate differently
}

TEST_CASE("batched generation equals unbatched for prompts of different lengths") {
  const Transformer m(tiny_config(Family::kQwen2), 12);
  SamplingParams params;
  params.temperature = 0.8;
  params.top_k = 20;
  params.max_new_tokens = 10;
  const auto batched = generate(m, requests(kPrompts), params);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const auto alone = generate(m, {{kPrompts[i], 100 + i}}, params);
    CHECK(alone[0].tokens == batched[i].tokens);
    check_close(alone[0].logprobs, batched[i].logprobs, 1e-4);
    check_close(alone[0].sampling_logprobs, batched[i].sampling_logprobs, 1e-4);
  }
}

TEST_CASE("seeds reproduce samples and different seeds differ") {
  const Transformer m(tiny_config(Family::kLlama), 13);
  SamplingParams params;
  params.temperature = 1.5;  // flat enough that two seeds disagree somewhere in 16 tokens
  params.max_new_tokens = 16;
  const auto a = generate(m, requests({kPrompts[0], kPrompts[0]}, 1), params);
  const auto b = generate(m, requests({kPrompts[0], kPrompts[0]}, 1), params);
  CHECK(a[0].tokens == b[0].tokens);
  CHECK(a[1].tokens == b[1].tokens);
  CHECK(a[0].tokens != a[1].tokens);  // seeds 1 and 2
}

TEST_CASE("greedy decoding is deterministic and picks the argmax") {
  const Transformer m(tiny_config(Family::kQwen3), 14);
  SamplingParams params;
  params.temperature = 0;
  params.max_new_tokens = 6;
  const auto a = generate(m, requests(kPrompts, 1), params);
  const auto b = generate(m, requests(kPrompts, 999), params);  // seeds do not matter
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    CHECK(a[i].tokens == b[i].tokens);
    for (const float lp : a[i].sampling_logprobs) CHECK(lp == 0.0f);
  }
  // Teacher-forced check of the first token: it is the argmax of the prompt's last logits.
  const PaddedBatch batch = left_pad({kPrompts[0]}, at::kCPU);
  at::NoGradGuard no_grad;
  const at::Tensor logits = m.forward(batch.input_ids, batch.position_ids, batch.attention_mask);
  CHECK(logits[0][-1].argmax().item<int64_t>() == a[0].tokens[0]);
  // top_k = 1 sampling is greedy too.
  params.temperature = 1.0;
  params.top_k = 1;
  const auto c = generate(m, requests(kPrompts, 5), params);
  for (size_t i = 0; i < kPrompts.size(); ++i) CHECK(c[i].tokens == a[i].tokens);
  // Ties go to the first maximum, as argmax's do, however long the row (vectorised reductions split it).
  std::vector<at::Generator> generators;
  at::Tensor tied = at::zeros({2, 40000});
  tied[0][7] = 3.0;
  tied[0][39000] = 3.0;
  tied[1][20001] = 1.0;
  tied[1][20002] = 1.0;
  SamplingParams argmax;
  argmax.temperature = 0;
  const SampledTokens picked = sample_next(tied, argmax, generators);
  CHECK(picked.tokens[0].item<int64_t>() == 7);
  CHECK(picked.tokens[1].item<int64_t>() == 20001);
}

TEST_CASE("stop tokens, stop strings and length end sequences") {
  const Transformer m(tiny_config(Family::kQwen2), 15);
  SamplingParams params;
  params.temperature = 0;
  params.max_new_tokens = 8;
  const auto free_run = generate(m, requests(kPrompts), params);
  for (const Completion& c : free_run) {
    CHECK(c.finish_reason == FinishReason::kLength);
    CHECK(c.tokens.size() == 8);
  }
  // Stop at the first occurrence of row 0's third token.
  const int64_t stop = free_run[0].tokens[2];
  params.stop_token_ids = {stop};
  const auto stopped = generate(m, requests(kPrompts), params);
  CHECK(stopped[0].finish_reason == FinishReason::kStopToken);
  const auto first = std::find(free_run[0].tokens.begin(), free_run[0].tokens.end(), stop);
  CHECK(stopped[0].tokens == std::vector<int64_t>(free_run[0].tokens.begin(), first + 1));
  // The other rows continue unaffected by row 0 leaving the batch (unless they emit the token themselves).
  for (size_t i = 1; i < kPrompts.size(); ++i) {
    const auto& t = stopped[i].tokens;
    CHECK(std::equal(t.begin(), t.end(), free_run[i].tokens.begin()));
  }
  // Stop string over a decoding that renders token ids as "<id>".
  params.stop_token_ids.clear();
  params.decode = [](const std::vector<int64_t>& tokens) {
    std::string s;
    for (const int64_t t : tokens) s += "<" + std::to_string(t) + ">";
    return s;
  };
  params.stop_strings = {"<" + std::to_string(free_run[1].tokens[1]) + ">"};
  const auto by_string = generate(m, requests(kPrompts), params);
  CHECK(by_string[1].finish_reason == FinishReason::kStopString);
  CHECK(by_string[1].tokens.size() <= 2);
  CHECK(std::string(finish_reason_name(FinishReason::kStopString)) == "stop_string");
}

TEST_CASE("sampling log-probs describe the filtered distribution") {
  // Logits over 4 tokens with probabilities 0.5, 0.25, 0.125, 0.125; top_p = 0.6 keeps the first two.
  const at::Tensor logits =
      at::tensor({std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.125f)}).view({1, 4});
  SamplingParams params;
  params.top_p = 0.6;
  int64_t first = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::vector<at::Generator> gens = {at::make_generator<at::CPUGeneratorImpl>(seed)};
    const SampledTokens s = sample_next(logits, params, gens);
    const int64_t token = s.tokens.item<int64_t>();
    REQUIRE(token < 2);
    first += token == 0 ? 1 : 0;
    CHECK(s.sampling_logprobs.item<float>() == Approx(std::log(token == 0 ? 2.0 / 3 : 1.0 / 3)));
    CHECK(s.logprobs.item<float>() == Approx(std::log(token == 0 ? 0.5 : 0.25)));
  }
  CHECK(first > 100);  // expected 133 of 200
  CHECK(first < 170);
  // Temperature 2 with top_k 3: p ~ sqrt(p), renormalised over the three kept tokens.
  params = {};
  params.temperature = 2.0;
  params.top_k = 3;
  std::vector<at::Generator> gens = {at::make_generator<at::CPUGeneratorImpl>(3)};
  const SampledTokens s = sample_next(logits, params, gens);
  const double z = std::sqrt(0.5) + std::sqrt(0.25) + std::sqrt(0.125);
  const double p[] = {std::sqrt(0.5) / z, std::sqrt(0.25) / z, std::sqrt(0.125) / z};
  CHECK(s.sampling_logprobs.item<float>() == Approx(std::log(p[s.tokens.item<int64_t>()])));
}

namespace {

// sample_next spelled out op by op, one fresh tensor per step (the formula of sampling.h), with the same
// one-uniform-per-row draw: the optimised sampler must pick exactly the tokens this picks for the same seeds.
SampledTokens reference_sample(const at::Tensor& x, const SamplingParams& p, uint64_t seed0) {
  const int64_t b = x.size(0);
  at::Tensor values = x / p.temperature;
  at::Tensor indices;
  if (p.top_k > 0 && p.top_k < x.size(1)) {
    std::tie(values, indices) = values.topk(p.top_k, -1);
  } else if (p.top_p < 1.0) {
    std::tie(values, indices) = values.sort(-1, /*descending=*/true);
  }
  if (p.top_p < 1.0) {
    const at::Tensor probs = at::softmax(values, -1);
    values = values.masked_fill((probs.cumsum(-1) - probs) >= p.top_p, -std::numeric_limits<float>::infinity());
  }
  const at::Tensor filtered = at::log_softmax(values, -1);
  const at::Tensor cdf = filtered.exp().cumsum(-1);
  at::Tensor u = at::empty({b, 1});
  for (int64_t i = 0; i < b; ++i) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed0 + static_cast<uint64_t>(i));
    u[i][0] = static_cast<float>(static_cast<double>(gen.get<at::CPUGeneratorImpl>()->random64() >> 11) * 0x1.0p-53);
  }
  const int64_t last = cdf.size(1) - 1;
  const at::Tensor pos = at::searchsorted(cdf, u * cdf.narrow(1, last, 1)).clamp_max(last);
  SampledTokens out;
  out.tokens = indices.defined() ? indices.gather(1, pos).squeeze(1) : pos.squeeze(1);
  out.sampling_logprobs = filtered.gather(1, pos).squeeze(1);
  out.logprobs = at::log_softmax(x, -1).gather(1, out.tokens.unsqueeze(1)).squeeze(1);
  return out;
}

}  // namespace

TEST_CASE("sampling picks the tokens of the plain formula for the same seeds") {
  // A peaked and a flat batch over a 5000-token vocabulary, so that many draws land among close CDF steps.
  const at::Tensor peaked = at::randn({16, 5000}, at::TensorOptions().dtype(at::kFloat)) * 4;
  const at::Tensor flat = at::randn({16, 5000}, at::TensorOptions().dtype(at::kFloat)) * 0.1;
  const auto settings = {std::tuple{1.0, int64_t{0}, 1.0}, std::tuple{0.7, int64_t{0}, 1.0},
                         std::tuple{1.0, int64_t{50}, 1.0}, std::tuple{1.3, int64_t{0}, 0.9},
                         std::tuple{0.8, int64_t{100}, 0.95}};
  for (const at::Tensor& logits : {peaked, flat}) {
    for (const auto& [temperature, top_k, top_p] : settings) {
      SamplingParams p;
      p.temperature = temperature;
      p.top_k = top_k;
      p.top_p = top_p;
      for (const uint64_t seed0 : {0, 1000, 77777}) {
        INFO("temperature " << temperature << ", top_k " << top_k << ", top_p " << top_p << ", seeds " << seed0);
        std::vector<at::Generator> gens;
        for (uint64_t i = 0; i < 16; ++i) gens.push_back(at::make_generator<at::CPUGeneratorImpl>(seed0 + i));
        const SampledTokens got = sample_next(logits, p, gens);
        const SampledTokens want = reference_sample(logits, p, seed0);
        CHECK(at::equal(got.tokens, want.tokens));
        CHECK(at::equal(got.sampling_logprobs, want.sampling_logprobs));
        CHECK(at::allclose(got.logprobs, want.logprobs, /*rtol=*/1e-5, /*atol=*/1e-5));
      }
    }
  }
}

TEST_CASE("the CPU sampler picks the plain formula's candidate across empty blocks, ties and threads") {
  // Rows with runs of zero-probability candidates longer than the sampler's 64-candidate blocks, exact ties, a
  // single candidate first or last, and a vocabulary that is not a multiple of the block. 23 rows: the sampler sums
  // four rows side by side, so five groups of four and a last group of three.
  const float inf = std::numeric_limits<float>::infinity();
  at::Tensor logits = at::randn({23, 1000}, at::TensorOptions().dtype(at::kFloat)) * 3;
  for (int64_t row = 0; row < 23; row += 3) logits[row].narrow(0, 100 + row, 300).fill_(-inf);
  logits[1].fill_(0.5);
  logits[4].fill_(-inf);
  logits[4][999].fill_(2.0);
  logits[7].fill_(-inf);
  logits[7][0].fill_(1.0);
  logits[10].narrow(0, 0, 900).fill_(-inf);
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);  // rows split between threads
    for (const double temperature : {1.0, 0.7}) {
      for (const uint64_t seed0 : {0, 5000}) {
        INFO(threads << " threads, temperature " << temperature << ", seeds " << seed0);
        SamplingParams p;
        p.temperature = temperature;
        std::vector<at::Generator> gens;
        for (uint64_t i = 0; i < 23; ++i) gens.push_back(at::make_generator<at::CPUGeneratorImpl>(seed0 + i));
        const SampledTokens got = sample_next(logits, p, gens);
        const SampledTokens want = reference_sample(logits, p, seed0);
        CHECK(at::equal(got.tokens, want.tokens));
        CHECK(at::equal(got.sampling_logprobs, want.sampling_logprobs));
        CHECK(logits.gather(1, got.tokens.unsqueeze(1)).isfinite().all().item<bool>());
        CHECK(got.tokens[4].item<int64_t>() == 999);
        CHECK(got.tokens[7].item<int64_t>() == 0);
        CHECK(got.tokens[10].item<int64_t>() >= 900);
      }
    }
  }
  at::set_num_threads(1);
}

TEST_CASE("row-group sampling on bfloat16 logits picks the plain formula's tokens and leaves the logits alone") {
  // The row groups (models/temperature_sampling_cpu.h) widen bfloat16 logits into a float32 copy that becomes the
  // probabilities at temperature 1; on float32 logits at temperature 1 that buffer must be a fresh one instead.
  at::manual_seed(41);
  const at::Tensor float_logits = at::randn({13, 3001}, at::TensorOptions().dtype(at::kFloat)) * 3;
  const at::Tensor bf16_logits = float_logits.to(at::kBFloat16);
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (const double temperature : {1.0, 0.7}) {
      INFO(threads << " threads, temperature " << temperature);
      SamplingParams p;
      p.temperature = temperature;
      std::vector<at::Generator> gens;
      for (uint64_t i = 0; i < 13; ++i) gens.push_back(at::make_generator<at::CPUGeneratorImpl>(300 + i));
      const SampledTokens got = sample_next(bf16_logits, p, gens);
      const SampledTokens want = reference_sample(bf16_logits.to(at::kFloat), p, 300);
      CHECK(at::equal(got.tokens, want.tokens));
      CHECK(at::equal(got.sampling_logprobs, want.sampling_logprobs));
      CHECK(at::allclose(got.logprobs, want.logprobs, /*rtol=*/1e-5, /*atol=*/1e-5));
      const at::Tensor before = float_logits.clone();
      for (uint64_t i = 0; i < 13; ++i) gens[i] = at::make_generator<at::CPUGeneratorImpl>(300 + i);
      sample_next(float_logits, p, gens);
      CHECK(at::equal(float_logits, before));
    }
  }
  at::set_num_threads(1);
}

TEST_CASE("bad sampling parameters and prompts are rejected") {
  const Transformer m(tiny_config(Family::kQwen2), 1);
  SamplingParams params;
  params.top_p = 0;
  CHECK_THROWS_WITH(generate(m, requests(kPrompts), params), Catch::Matchers::Contains("top_p"));
  params = {};
  params.stop_strings = {"x"};
  CHECK_THROWS_WITH(generate(m, requests(kPrompts), params), Catch::Matchers::Contains("decode"));
  params = {};
  CHECK_THROWS_WITH(generate(m, {{{}, 1}}, params), Catch::Matchers::Contains("request 0 has an empty prompt"));
  CHECK_THROWS_WITH(generate(m, {{{1, 200}, 1}}, params), Catch::Matchers::Contains("token id 200"));
}

TEST_CASE("teacher-forced log-probs match generation's within 1e-4") {
  const Transformer m(tiny_config(Family::kQwen3, true), 16);
  SamplingParams params;
  params.max_new_tokens = 9;
  params.stop_token_ids = {7, 8, 9, 10, 11};  // some rows stop early: completions of different lengths
  const auto completions = generate(m, requests(kPrompts), params);
  std::vector<std::vector<int64_t>> tokens;
  for (const Completion& c : completions) tokens.push_back(c.tokens);
  const CompletionLogProbs lp = completion_logprobs(m, kPrompts, tokens, {.with_entropy = true});
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    for (size_t j = 0; j < tokens[i].size(); ++j) {
      CHECK(lp.mask[i][j].item<bool>());
      CHECK(std::abs(lp.logprobs[i][j].item<float>() - completions[i].logprobs[j]) <= 1e-4);
    }
    for (size_t j = tokens[i].size(); j < static_cast<size_t>(lp.mask.size(1)); ++j) {
      CHECK_FALSE(lp.mask[i][j].item<bool>());
      CHECK(lp.logprobs[i][j].item<float>() == 0.0f);
    }
  }
  // Entropy of the full distribution, checked against a direct computation for row 0, token 0.
  const PaddedBatch batch = left_pad({kPrompts[0]}, at::kCPU);
  at::NoGradGuard no_grad;
  const at::Tensor logp =
      at::log_softmax(m.forward(batch.input_ids, batch.position_ids, batch.attention_mask)[0][-1], -1);
  CHECK(lp.entropy[0][0].item<double>() == Approx(-(logp.exp() * logp).sum().item<double>()).epsilon(1e-4));
}

TEST_CASE("teacher-forced log-probs are differentiable and honour temperature") {
  Transformer m(tiny_config(Family::kLlama), 17);
  m.set_requires_grad(true);
  const std::vector<std::vector<int64_t>> completions = {{1, 2, 3}, {}, {4}};
  const CompletionLogProbs lp = completion_logprobs(m, kPrompts, completions);
  CHECK(lp.logprobs.sizes().vec() == std::vector<int64_t>{3, 3});
  CHECK(lp.mask.sum().item<int64_t>() == 4);
  lp.logprobs.sum().backward();
  for (const NamedTensor& p : m.trainable_parameters()) {
    INFO(p.name);
    REQUIRE(p.tensor.grad().defined());
  }
  const CompletionLogProbs hot = completion_logprobs(m, kPrompts, completions, {.temperature = 100.0});
  // At a very high temperature every token tends to log(1 / vocab).
  CHECK(hot.logprobs[0][0].item<double>() == Approx(-std::log(97.0)).epsilon(0.01));
  CHECK_THROWS_WITH(completion_logprobs(m, kPrompts, {{1}}), Catch::Matchers::Contains("3 prompts and 1 completions"));
}
