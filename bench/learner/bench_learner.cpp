// Learner throughput: the GRPO loss (forward + backward) per 1M completion tokens for each aggregation, and
// one AdamW step (plus the global gradient norm clipping needs) per 1M parameters. Prints one line per figure.
//
//   spct_bench_learner [threads] [repeats]     (defaults: 1 thread, 5 repeats; the median is reported)
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "learner/grad_norm.h"
#include "learner/grpo_loss.h"
#include "learner/optimizer.h"

namespace {

using spct::learner::LossAggregation;

// Wall and CPU time of one run of `body`, the medians over `repeats` runs after one warm-up run. CPU time is
// the process's (all threads): on a shared machine it shows the work done, wall time what a user waits.
struct Timing {
  double wall_s;
  double cpu_s;
};

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Timing median_time(int repeats, const std::function<void()>& body) {
  body();  // warm-up: allocator and thread pool
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_now();
    body();
    cpu.push_back(cpu_now() - cpu_start);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

void bench_loss(int repeats) {
  // 1024 completions of 1024 positions, about 3/4 of them real tokens: ~0.79M effective tokens.
  const int64_t n = 1024, t = 1024;
  const at::Tensor old_logp = at::rand({n, t}).mul(-3.0);
  const at::Tensor ref_logp = old_logp.add(at::randn({n, t}).mul(0.05));
  const at::Tensor start = old_logp.add(at::randn({n, t}).mul(0.1));
  const at::Tensor advantages = at::randn({n});
  const at::Tensor mask = at::rand({n, t}).lt(0.75);
  const double tokens = mask.sum().item<double>();
  for (const auto& [name, aggregation] :
       {std::pair{"seq_mean_token_mean", LossAggregation::kSeqMeanTokenMean},
        std::pair{"token_mean", LossAggregation::kTokenMean},
        std::pair{"seq_mean_token_sum_norm", LossAggregation::kSeqMeanTokenSumNorm}}) {
    const spct::learner::LossOptions options{
        .dual_clip = 3, .beta = 0.04, .aggregation = aggregation, .sum_norm_tokens = static_cast<double>(t)};
    const Timing time = median_time(repeats, [&] {
      const at::Tensor logp = start.detach().requires_grad_(true);
      const spct::learner::LossResult r = spct::learner::grpo_loss({.logprobs = logp,
                                                                    .old_logprobs = old_logp,
                                                                    .ref_logprobs = ref_logp,
                                                                    .advantages = advantages,
                                                                    .mask = mask},
                                                                   options);
      r.loss.backward();
    });
    std::printf("grpo_loss %-24s (k3, dual clip, metrics) fwd+bwd per 1M tokens: %7.1f ms wall, %7.1f ms cpu\n", name,
                time.wall_s * 1e9 / tokens, time.cpu_s * 1e9 / tokens);
  }
}

void bench_adamw(int repeats) {
  // 16M parameters in 64 tensors of 256K, as a small transformer's matrices would be.
  const int64_t tensors = 64, size = 256 * 1024;
  std::vector<at::Tensor> params;
  for (int64_t i = 0; i < tensors; ++i) {
    at::Tensor p = at::randn({size}).requires_grad_(true);
    p.mutable_grad() = at::randn({size});
    params.push_back(p);
  }
  spct::learner::AdamW adamw(params, {.lr = 1e-4, .weight_decay = 0.01});
  const double millions = static_cast<double>(tensors * size) / 1e6;
  const Timing step = median_time(repeats, [&] { adamw.step(); });
  std::printf("adamw step per 1M parameters: %6.2f ms wall, %6.2f ms cpu (%.1fM float32 parameters, %lld tensors)\n",
              step.wall_s * 1e3 / millions, step.cpu_s * 1e3 / millions, millions, static_cast<long long>(tensors));
  // Clipping itself is a factor AdamW::step applies as it reads the gradients; the norm is its own pass.
  const Timing norm = median_time(repeats, [&] { spct::learner::grad_norm(params); });
  std::printf("grad_norm per 1M parameters: %6.2f ms wall, %6.2f ms cpu\n", norm.wall_s * 1e3 / millions,
              norm.cpu_s * 1e3 / millions);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  if (threads < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: %s [threads >= 1] [repeats >= 1]\n", argv[0]);
    return 2;
  }
  at::set_num_threads(threads);
  std::printf("spct learner benchmark: %d thread(s), median of %d runs; %.0f%% of the tokens are masked in\n", threads,
              repeats, 75.0);
  bench_loss(repeats);
  bench_adamw(repeats);
  return 0;
}
