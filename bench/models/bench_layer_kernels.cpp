// A decode step's element-wise layer steps at a real shape: RMSNorm, the rotary embedding and silu(gate) * up
// through models/layers.h, once as generation runs them (c10::InferenceMode: the CPU loops of
// models/layer_kernels_cpu.h) and once as ATen operations (the same calls outside InferenceMode, under
// NoGradGuard), interleaved in rounds so that each pair sees the same machine.
//
//   spct_bench_layer_kernels [rows (64)] [hidden (896)] [heads (14)] [head_dim (64)] [intermediate (4864)]
//                            [threads (2)] [rounds (200)]
//
// Defaults: Qwen2.5-0.5B's shape, one decode step of batch 64. Prints the median microseconds of each, float32 and
// bfloat16, and the whole of one layer's calls (2 norms, q and k rotations, one gate).
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/silu.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/support/median.h"
#include "models/layer_kernels_cpu.h"
#include "models/layers.h"
#include "models/model_config.h"
#include "orchestrator/run/keep_freed_memory.h"

int main(int argc, char** argv) {
  const auto arg = [&](int i, int64_t fallback) { return argc > i ? std::atoll(argv[i]) : fallback; };
  const int64_t rows = arg(1, 64), hidden = arg(2, 896), heads = arg(3, 14), head_dim = arg(4, 64);
  const int64_t intermediate = arg(5, 4864);
  const int threads = static_cast<int>(arg(6, 2));
  const int rounds = static_cast<int>(arg(7, 200));
  if (rows < 1 || hidden < 1 || heads < 1 || head_dim < 2 || head_dim % 2 != 0 || intermediate < 1 || threads < 1 ||
      rounds < 1) {
    std::fprintf(stderr,
                 "usage: %s [rows] [hidden] [heads] [head_dim (even)] [intermediate] [threads] [rounds], all >= 1\n",
                 argv[0]);
    return 2;
  }
  spct::run::keep_freed_memory();  // as spct's processes run: freed tensors reused, not page-faulted afresh
  at::set_num_threads(threads);
  at::manual_seed(1);
  spct::models::ModelConfig config;
  config.head_dim = head_dim;
  std::printf(
      "decoder layer element-wise steps, %lld rows, hidden %lld, %lld heads x %lld, intermediate %lld, "
      "%d thread(s), median of %d rounds (us)\n",
      static_cast<long long>(rows), static_cast<long long>(hidden), static_cast<long long>(heads),
      static_cast<long long>(head_dim), static_cast<long long>(intermediate), threads, rounds);
  for (const c10::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor x = at::randn({rows, 1, hidden}).to(dtype);
    const at::Tensor weight = (at::randn({hidden}) * 0.1 + 1).to(dtype);
    // q as the decode step sees it: a column view of the stacked q/k/v product, transposed to [B, H, 1, D].
    const at::Tensor qkv = at::randn({rows, 1, (heads + 2) * head_dim}).to(dtype);
    const at::Tensor q = qkv.narrow(-1, 0, heads * head_dim).view({rows, 1, heads, head_dim}).transpose(1, 2);
    const at::Tensor positions = at::arange(rows, at::TensorOptions().dtype(at::kLong)).view({rows, 1}) + 100;
    // Plain tensors, not structured bindings: the lambdas below capture them.
    const std::pair<at::Tensor, at::Tensor> tables =
        spct::models::rope_tables(spct::models::rope_inverse_frequencies(config, at::kCPU), positions, dtype);
    const at::Tensor& cos = tables.first;
    const at::Tensor& sin = tables.second;
    const at::Tensor gate_up = at::randn({rows, 1, 2 * intermediate}).to(dtype);
    const at::Tensor gate = gate_up.narrow(-1, 0, intermediate);
    const at::Tensor up = gate_up.narrow(-1, intermediate, intermediate);
    const auto rms_norm = [&] { spct::models::rms_norm(x, weight, 1e-6); };
    const auto rotations = [&] {
      spct::models::apply_rope(q, cos, sin);
      spct::models::apply_rope(q.narrow(1, 0, 2), cos, sin);  // as k's 2 heads
    };
    // SwiGluMlp::forward's gate, as it calls it in generation and elsewhere.
    const auto silu_mul = [&](bool generation) {
      return generation ? spct::models::silu_mul_cpu(gate, up) : at::silu(gate) * up;
    };
    const std::vector<std::pair<std::string, std::function<void(bool)>>> steps = {
        {"rms_norm", [&](bool) { rms_norm(); }},
        {"apply_rope (q, k)", [&](bool) { rotations(); }},
        {"silu(gate) * up", [&](bool generation) { silu_mul(generation); }},
        {"one layer's steps",
         [&](bool generation) {
           rms_norm();
           rotations();
           rms_norm();
           silu_mul(generation);
         }},
    };
    std::vector<std::vector<double>> fused(steps.size()), aten(steps.size());
    for (int round = -1; round < rounds; ++round) {
      for (size_t s = 0; s < steps.size(); ++s) {
        for (const bool generation : {true, false}) {
          const auto start = std::chrono::steady_clock::now();
          if (generation) {
            const c10::InferenceMode guard;
            steps[s].second(true);
          } else {
            const at::NoGradGuard guard;
            steps[s].second(false);
          }
          const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          if (round >= 0) (generation ? fused : aten)[s].push_back(t);
        }
      }
    }
    for (size_t s = 0; s < steps.size(); ++s) {
      const double f = spct::bench::median(fused[s]) * 1e6, a = spct::bench::median(aten[s]) * 1e6;
      std::printf("  %-9s %-18s generation %8.1f   ATen %8.1f   %5.2fx\n", dtype == at::kFloat ? "float32" : "bfloat16",
                  steps[s].first.c_str(), f, a, a / f);
    }
  }
  return 0;
}
