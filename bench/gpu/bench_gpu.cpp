// GPU benchmark of the model paths spct trains with (scripts/gpu-check.sh runs it; docs/benchmarks.md): a
// Qwen2.5-0.5B-shaped decoder with random weights in bfloat16, measured
//   1. peak: the bf16 matmul rate of this device (an N x N x N product, the ceiling the others are shares of);
//   2. decode: generation tokens/s with the KV cache at batch 1 and batch 64 (the ratio is the batching gain);
//   3. learner: forward + backward TFLOP/s of a [batch, sequence] pass with a mean log-softmax loss, and its share
//      of the peak (FLOPs = 3 x forward: 2 x the non-embedding parameters + 2 x hidden x vocab per token for the
//      head, plus 4 x layers x sequence x q width per token for attention scores and values).
// Writes one JSON object to --out (and stdout). Runs on the CPU too (--shape tiny), which is how it is tested
// where no GPU is.
//
//   spct_bench_gpu [--shape qwen2.5-0.5b|tiny] [--device auto|cpu|cuda] [--out FILE]
#include <ATen/DeviceAccelerator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config/choices.h"
#include "models/device.h"
#include "models/generation.h"
#include "models/model_config.h"
#include "models/transformer.h"

namespace {

using spct::models::ModelConfig;

struct Shape {
  ModelConfig model;
  int64_t matmul_n;      // side of the peak matmul
  int64_t prompt;        // prompt tokens per generated sequence
  int64_t new_tokens;    // generated per sequence
  int64_t train_batch;   // sequences per learner pass
  int64_t train_length;  // tokens per sequence in the learner pass
};

Shape shape_named(const std::string& name) {
  Shape s;
  ModelConfig& m = s.model;
  m.family = spct::models::Family::kQwen2;
  m.qkv_bias = true;
  m.tie_embeddings = true;
  m.dtype = spct::models::DType::kBFloat16;
  m.rope_theta = 1e6;
  if (name == "qwen2.5-0.5b") {  // Qwen/Qwen2.5-0.5B's config.json
    m.vocab_size = 151936;
    m.hidden_size = 896;
    m.num_layers = 24;
    m.num_heads = 14;
    m.num_kv_heads = 2;
    m.head_dim = 64;
    m.intermediate_size = 4864;
    m.max_position = 4096;
    s = {m, 8192, 64, 128, 8, 1024};
  } else if (name == "tiny") {
    m.vocab_size = 512;
    m.hidden_size = 64;
    m.num_layers = 2;
    m.num_heads = 4;
    m.num_kv_heads = 2;
    m.head_dim = 16;
    m.intermediate_size = 128;
    m.max_position = 256;
    s = {m, 256, 8, 8, 2, 32};
  } else {
    throw std::invalid_argument("--shape must be qwen2.5-0.5b or tiny, not '" + name + "'");
  }
  return s;
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) at::accelerator::synchronizeDevice(device.index());
}

// Best of `repeats` runs of `body` after one warm-up, in seconds, with the device synchronised around each.
double best_seconds(const c10::Device& device, int repeats, const std::function<void()>& body) {
  body();
  synchronize(device);
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    synchronize(device);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

double non_embedding_parameters(const spct::models::Transformer& model) {
  double n = 0;
  for (const auto& p : model.named_parameters()) {
    if (p.name.find("embed_tokens") == std::string::npos && p.name.find("lm_head") == std::string::npos) {
      n += static_cast<double>(p.tensor.numel());
    }
  }
  return n;
}

double decode_tokens_per_s(const spct::models::Transformer& model, const Shape& s, int64_t batch) {
  std::vector<spct::models::GenerationRequest> requests;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int64_t> prompt;
    for (int64_t t = 0; t < s.prompt; ++t) prompt.push_back(1 + (b * 131 + t * 17) % (s.model.vocab_size - 1));
    requests.push_back({prompt, static_cast<uint64_t>(b)});
  }
  spct::models::SamplingParams params;
  params.temperature = 1.0;
  params.max_new_tokens = s.new_tokens;  // no stop tokens: every sequence generates them all
  int64_t generated = 0;
  const double seconds = best_seconds(model.device(), 2, [&] {
    generated = 0;
    for (const auto& c : spct::models::generate(model, requests, params)) generated += c.tokens.size();
  });
  return static_cast<double>(generated) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shape_name = "qwen2.5-0.5b", device_setting = "auto", out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--shape")
      shape_name = argv[i + 1];
    else if (flag == "--device")
      device_setting = argv[i + 1];
    else if (flag == "--out")
      out_path = argv[i + 1];
    else {
      std::cerr << "spct_bench_gpu: unknown option " << flag << "\n";
      return 2;
    }
  }
  try {
    const Shape s = shape_named(shape_name);
    const std::optional<spct::config::Device> setting = spct::config::from_string<spct::config::Device>(device_setting);
    if (!setting) {
      std::cerr << "spct_bench_gpu: --device " << device_setting << " is not one of auto, cpu, cuda\n";
      return 2;
    }
    const c10::Device device = spct::models::device_for(*setting);
    nlohmann::json result = {{"shape", shape_name}, {"device", device.str()}, {"dtype", "bfloat16"}};

    // 1. Peak bf16 matmul.
    {
      at::NoGradGuard no_grad;
      const auto options = at::TensorOptions().dtype(at::kBFloat16).device(device);
      const at::Tensor a = at::randn({s.matmul_n, s.matmul_n}, options);
      const at::Tensor b = at::randn({s.matmul_n, s.matmul_n}, options);
      const double seconds = best_seconds(device, 5, [&] { (void)at::matmul(a, b); });
      const double n = static_cast<double>(s.matmul_n);
      result["matmul_bf16_tflops"] = 2 * n * n * n / seconds / 1e12;
    }

    const spct::models::Transformer model(s.model, 1, device);
    const double body_params = non_embedding_parameters(model);
    result["parameters"] = body_params + static_cast<double>(s.model.vocab_size * s.model.hidden_size);

    // 2. Decode.
    const double batch1 = decode_tokens_per_s(model, s, 1);
    const double batch64 = decode_tokens_per_s(model, s, 64);
    result["decode_tokens_per_s_batch1"] = batch1;
    result["decode_tokens_per_s_batch64"] = batch64;
    result["decode_batch64_over_batch1"] = batch64 / batch1;

    // 3. Learner forward + backward.
    {
      spct::models::Transformer learner(s.model, 2, device);
      learner.set_requires_grad(true);
      const int64_t b = s.train_batch, t = s.train_length;
      const auto long_opts = at::TensorOptions().dtype(at::kLong).device(device);
      const at::Tensor ids = at::randint(1, s.model.vocab_size, {b, t}, long_opts);
      const at::Tensor positions = at::arange(t, long_opts).unsqueeze(0).expand({b, t}).contiguous();
      const at::Tensor mask = at::ones({b, t}, at::TensorOptions().dtype(at::kBool).device(device));
      const double seconds = best_seconds(device, 3, [&] {
        const at::Tensor logits = learner.forward(ids, positions, mask);
        at::log_softmax(logits.to(at::kFloat), -1).mean().backward();
      });
      const double tokens = static_cast<double>(b * t);
      const double q_width = static_cast<double>(s.model.num_heads * s.model.head_dim);
      const double forward_per_token = 2 * body_params +
                                       2.0 * static_cast<double>(s.model.hidden_size * s.model.vocab_size) +
                                       4.0 * static_cast<double>(s.model.num_layers * t) * q_width;
      const double tflops = 3 * forward_per_token * tokens / seconds / 1e12;
      result["learner_tokens"] = tokens;
      result["learner_fwd_bwd_s"] = seconds;
      result["learner_tflops"] = tflops;
      result["learner_share_of_matmul_peak"] = tflops / result["matmul_bf16_tflops"].get<double>();
    }
    result["targets"] = {{"learner_share_of_matmul_peak", 0.40}, {"decode_batch64_over_batch1", 20.0}};
    result["learner_target_met"] = result["learner_share_of_matmul_peak"].get<double>() >= 0.40;
    result["decode_target_met"] = result["decode_batch64_over_batch1"].get<double>() >= 20.0;
    const std::string text = result.dump(2);
    std::cout << text << std::endl;
    if (!out_path.empty()) std::ofstream(out_path) << text << "\n";
  } catch (const std::exception& e) {
    std::cerr << "spct_bench_gpu: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
