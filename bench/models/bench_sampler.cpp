// The decode step's sampler at a real vocabulary: sample_next (models/sampling.h) on random [batch, vocab] logits,
// greedy and sampled (temperature 1, no filtering), beside the plain ATen formulas they replace, interleaved
// in rounds so that each pair sees the same machine:
//   greedy:  logits.to(float32), max, log_softmax, gather (before models/greedy_cpu.h)
//   sampled: the same log_softmax and exp, then cumsum and searchsorted (the tensor formula the CPU inverse CDF,
//            models/inverse_cdf_cpu.h, reproduces exactly)
//
//   spct_bench_sampler [batch (64)] [vocab (151936: Qwen2.5)] [threads (2)] [rounds (20)]
//
// Prints the median milliseconds of each, for float32 and bfloat16 logits (the dtype a bf16 model's head emits).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cumsum.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/max.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/searchsorted.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/support/median.h"
#include "models/sampling.h"

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 64;
  const int64_t vocab = argc > 2 ? std::atoll(argv[2]) : 151936;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 20;
  if (batch < 1 || vocab < 1 || threads < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: %s [batch >= 1] [vocab >= 1] [threads >= 1] [rounds >= 1]\n", argv[0]);
    return 2;
  }
  at::set_num_threads(threads);
  at::manual_seed(1);
  std::vector<at::Generator> generators;
  for (int64_t i = 0; i < batch; ++i) generators.push_back(at::make_generator<at::CPUGeneratorImpl>(i));
  spct::models::SamplingParams greedy, sampled;
  greedy.temperature = 0;
  sampled.temperature = 1;
  std::printf("sampler, %lld x %lld logits, %d thread(s), median of %d rounds (ms)\n", static_cast<long long>(batch),
              static_cast<long long>(vocab), threads, rounds);
  for (const c10::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor logits = (at::randn({batch, vocab}) * 3).to(dtype);
    const at::Tensor u = at::rand({batch, 1});
    const std::vector<std::pair<std::string, std::function<void()>>> bodies = {
        {"greedy, sample_next", [&] { spct::models::sample_next(logits, greedy, generators); }},
        {"greedy, ATen formula",
         [&] {
           const at::Tensor x = logits.to(at::kFloat);
           const at::Tensor tokens = std::get<1>(x.max(-1));
           at::log_softmax(x, -1).gather(1, tokens.unsqueeze(1));
         }},
        {"sampled, sample_next", [&] { spct::models::sample_next(logits, sampled, generators); }},
        {"sampled, ATen formula",
         [&] {
           const at::Tensor filtered = at::log_softmax(logits.to(at::kFloat), -1);
           const at::Tensor cdf = filtered.exp().cumsum(-1);
           const int64_t last = cdf.size(1) - 1;
           at::searchsorted(cdf, u * cdf.narrow(1, last, 1)).clamp_max(last);
         }},
    };
    std::vector<std::vector<double>> seconds(bodies.size());
    for (int round = -1; round < rounds; ++round) {
      for (size_t b = 0; b < bodies.size(); ++b) {
        const auto start = std::chrono::steady_clock::now();
        bodies[b].second();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (round >= 0) seconds[b].push_back(s);
      }
    }
    for (size_t b = 0; b < bodies.size(); ++b) {
      std::printf("  %-9s %-24s %8.2f\n", dtype == at::kFloat ? "float32" : "bfloat16", bodies[b].first.c_str(),
                  spct::bench::median(seconds[b]) * 1e3);
    }
  }
  return 0;
}
