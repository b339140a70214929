// AdamW's update on the CPU at a model's size: the one-pass update (learner/adamw_cpu.h) against the same update in
// ATen operations (adamw_update_aten), for float32 parameters and for bfloat16 ones with float32 masters (bf16
// gradient widened, update, master rounded into the weight), in interleaved rounds so that both see the same
// machine. The floor is memory traffic: each variant's bytes a pass must move at the rate of one large copy_ in
// the same process (which reads and writes), so "of floor" near 1 means the update is as fast as moving its bytes.
//
//   spct_bench_adamw [elements (default 494032768: Qwen2.5-0.5B)] [threads (default 2)] [rounds (default 5)]
//
// Prints one line per variant: median seconds, bytes moved, GB/s and the share of the copy's GB/s.
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "learner/optimizer.h"

namespace {

struct Variant {
  std::string name;
  double bytes_per_element;  // the least a pass reads and writes
  std::function<void(int64_t step)> run;
  std::vector<double> seconds;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 494032768;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  if (n < 1 || threads < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: %s [elements >= 1] [threads >= 1] [rounds >= 1]\n", argv[0]);
    return 2;
  }
  at::set_num_threads(threads);
  const spct::learner::AdamWOptions options{.lr = 1e-6, .weight_decay = 0.01};
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  at::Tensor param = at::randn({n}, f32), grad = at::randn({n}, f32);
  at::Tensor m = at::zeros({n}, f32), v = at::zeros({n}, f32);
  const at::Tensor grad16 = grad.to(at::kBFloat16);
  at::Tensor weight16 = param.to(at::kBFloat16);

  std::vector<Variant> variants;
  // float32: read p, g, m, v and write p, m, v.
  variants.push_back({"float32, ATen operations",
                      28,
                      [&](int64_t step) { spct::learner::adamw_update_aten(options, step, param, grad, m, v); },
                      {}});
  variants.push_back({"float32, one pass",
                      28,
                      [&](int64_t step) { spct::learner::adamw_update(options, step, param, grad, m, v); },
                      {}});
  // bfloat16 weight, float32 master: read master, g (2 bytes), m, v and write master, m, v, weight (2 bytes).
  variants.push_back({"bfloat16 + master, ATen operations",
                      30,
                      [&](int64_t step) {
                        const at::Tensor wide = grad16.to(at::kFloat);
                        spct::learner::adamw_update_aten(options, step, param, wide, m, v);
                        weight16.copy_(param);
                      },
                      {}});
  variants.push_back({"bfloat16 + master, one pass",
                      30,
                      [&](int64_t step) { spct::learner::adamw_update(options, step, param, grad16, m, v, weight16); },
                      {}});
  at::Tensor copy_target = at::empty({n}, f32);
  std::vector<double> copy_seconds;
  for (int round = -1; round < rounds; ++round) {
    const int64_t step = round + 2;
    for (Variant& variant : variants) {
      const auto start = std::chrono::steady_clock::now();
      variant.run(step);
      if (round >= 0) variant.seconds.push_back(seconds_since(start));
    }
    const auto start = std::chrono::steady_clock::now();
    copy_target.copy_(param);
    if (round >= 0) copy_seconds.push_back(seconds_since(start));
  }
  const auto median = [](std::vector<double> s) {
    std::sort(s.begin(), s.end());
    return s[s.size() / 2];
  };
  const double copy_rate = 8.0 * static_cast<double>(n) / median(copy_seconds) / 1e9;
  std::printf("AdamW over %lld elements, %d thread(s), median of %d rounds; copy_ moves %.1f GB/s\n",
              static_cast<long long>(n), threads, rounds, copy_rate);
  for (const Variant& variant : variants) {
    const double s = median(variant.seconds);
    const double rate = variant.bytes_per_element * static_cast<double>(n) / s / 1e9;
    std::printf("  %-36s %8.4f s  %6.1f GB/s  %.2f of the copy's rate\n", variant.name.c_str(), s, rate,
                rate / copy_rate);
  }
  return 0;
}
