// The model code on a CUDA device against the same model on the CPU (label gpu; skipped without a device).
// The same seed gives the same weights on every device (transformer.h), so the two differ only by kernels:
// float32 log-probs agree to 1e-4 (TF32 off), bfloat16 ones to bf16's resolution, and greedy generation picks
// the same tokens in float32. The sampling generators are per request on the CPU (generation.h), so sampled
// completions are the same too wherever the distributions agree closely.
#include <ATen/Context.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/abs.h>

#include <catch2/catch.hpp>

#include "models/device.h"
#include "models/generation.h"
#include "models/logprobs.h"
#include "tests/unit/models/test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const std::vector<std::vector<int64_t>> kPrompts = {{3, 4, 5, 6}, {7, 8}, {9, 10, 11, 12, 13, 14}};
const std::vector<std::vector<int64_t>> kCompletions = {{12, 13, 14, 15, 16}, {17}, {18, 19, 20}};

ModelConfig config_for(Family family, DType dtype) {
  ModelConfig config = tiny_config(family);
  config.dtype = dtype;
  return config;
}

double max_logprob_difference(Family family, DType dtype) {
  at::globalContext().setAllowTF32CuBLAS(false);
  const ModelConfig config = config_for(family, dtype);
  const Transformer cpu(config, 7, at::kCPU);
  const Transformer gpu(config, 7, device_for(spct::config::Device::kCuda));
  const at::Tensor on_cpu = completion_logprobs(cpu, kPrompts, kCompletions, {}).logprobs.to(at::kFloat);
  const at::Tensor on_gpu = completion_logprobs(gpu, kPrompts, kCompletions, {}).logprobs;
  REQUIRE(on_gpu.is_cuda());
  REQUIRE(on_gpu.scalar_type() == at::kFloat);  // log-prob sums stay float32 whatever the compute dtype
  return (on_gpu.cpu() - on_cpu).abs().max().item<double>();
}

}  // namespace

TEST_CASE("float32 teacher-forced log-probs on the GPU equal the CPU's within 1e-4", "[gpu]") {
  // Gemma 2's written-out, soft-capped attention and its sliding layer (window 4 over up to 9 tokens) included.
  for (const Family family : {Family::kLlama, Family::kQwen2, Family::kQwen3, Family::kGemma2}) {
    CAPTURE(static_cast<int>(family));
    CHECK(max_logprob_difference(family, DType::kFloat32) <= 1e-4);
  }
}

TEST_CASE("bfloat16 log-probs on the GPU agree with the CPU's within bf16 resolution", "[gpu]") {
  // Both compute in bf16 with float32 accumulation, in different orders: a few bf16 ulps of a log-prob near -5.
  for (const Family family : {Family::kQwen2, Family::kQwen3}) {
    CAPTURE(static_cast<int>(family));
    CHECK(max_logprob_difference(family, DType::kBFloat16) <= 0.1);
  }
}

TEST_CASE("greedy and seeded sampled generation on the GPU give the CPU's tokens (float32)", "[gpu]") {
  at::globalContext().setAllowTF32CuBLAS(false);
  const ModelConfig config = config_for(Family::kQwen3, DType::kFloat32);
  const Transformer cpu(config, 11, at::kCPU);
  const Transformer gpu(config, 11, device_for(spct::config::Device::kCuda));
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < kPrompts.size(); ++i) requests.push_back({kPrompts[i], 100 + i});
  for (const double temperature : {0.0, 1.0}) {
    CAPTURE(temperature);
    SamplingParams params;
    params.temperature = temperature;
    params.max_new_tokens = 12;
    const std::vector<Completion> a = generate(cpu, requests, params);
    const std::vector<Completion> b = generate(gpu, requests, params);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CAPTURE(i);
      CHECK(a[i].tokens == b[i].tokens);
    }
  }
}
