// Learner throughput: the GRPO loss (forward + backward) per 1M completion tokens for each aggregation, and
// one AdamW step (plus grad-norm clipping) per 1M parameters. Prints one line per figure.
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
#include <functional>
#include <string>
#include <vector>

#include "learner/grad_norm.h"
#include "learner/grpo_loss.h"
#include "learner/optimizer.h"

namespace {

using spct::learner::LossAggregation;

double median_seconds(int repeats, const std::function<void()>& body) {
  body();  // warm-up: allocator and thread pool
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
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
    const double seconds = median_seconds(repeats, [&] {
      const at::Tensor logp = start.detach().requires_grad_(true);
      const spct::learner::LossResult r = spct::learner::grpo_loss({.logprobs = logp,
                                                                    .old_logprobs = old_logp,
                                                                    .ref_logprobs = ref_logp,
                                                                    .advantages = advantages,
                                                                    .mask = mask},
                                                                   options);
      r.loss.backward();
    });
    std::printf("grpo_loss %-24s k3 + dual clip + metrics, fwd+bwd: %8.1f ms per 1M tokens (%.0f tokens)\n", name,
                seconds * 1e3 * 1e6 / tokens, tokens);
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
  const double step = median_seconds(repeats, [&] { adamw.step(); });
  std::printf("adamw step: %8.2f ms per 1M parameters (%.1fM parameters, float32)\n", step * 1e3 / millions, millions);
  const double clip = median_seconds(repeats, [&] { spct::learner::clip_grad_norm(params, 1e-3); });
  std::printf("clip_grad_norm: %8.2f ms per 1M parameters\n", clip * 1e3 / millions);
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
  std::printf("spct learner benchmark: %d thread(s), median of %d\n", threads, repeats);
  bench_loss(repeats);
  bench_adamw(repeats);
  return 0;
}
