// spct's side of bench/rollout/compare_transformers.py: generation with the rollout engine on a Hugging Face
// model directory, for prompts given as token ids, printing one JSON line per measurement.
// Usage: spct_bench_rollout MODEL_DIR PROMPTS_FILE NEW_TOKENS TEMPERATURE THREADS [REPS=1] [PROFILE=0]
//   PROMPTS_FILE: one prompt per line, space-separated token ids; request i samples with seed i.
//   PROFILE=1 adds a line with the share of decode time outside matmul/attention (kernel_timer.h), measured
//   in separate runs (the callbacks slow every op) as the difference of a NEW_TOKENS run and a one-token run.
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_timer.h"
#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "orchestrator/run/keep_freed_memory.h"
#include "orchestrator/run/openmp_wait_policy.h"

namespace {

struct Timing {
  double seconds = 0;
  double cpu_seconds = 0;
  double kernel_seconds = 0;
  size_t tokens = 0;
};

Timing run(const spct::models::Transformer& model, const std::vector<spct::models::GenerationRequest>& requests,
           const spct::models::SamplingParams& params, bool profile) {
  std::unique_ptr<spct::bench::KernelTimer> timer;
  if (profile) timer = std::make_unique<spct::bench::KernelTimer>();
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<spct::models::Completion> out = spct::models::generate(model, requests, params);
  Timing t;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (timer) t.kernel_seconds = timer->kernel_seconds();
  for (const auto& completion : out) t.tokens += completion.tokens.size();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  spct::run::ensure_passive_openmp(argv);
  spct::run::keep_freed_memory();
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: spct_bench_rollout MODEL_DIR PROMPTS_FILE NEW_TOKENS TEMPERATURE THREADS [REPS] [PROFILE]\n");
    return 2;
  }
  at::set_num_threads(std::atoi(argv[5]));
  const int reps = argc > 6 ? std::atoi(argv[6]) : 1;
  const bool profile = argc > 7 && std::atoi(argv[7]) != 0;
  const auto model = spct::model_io::load_hf_model(argv[1]);
  std::vector<spct::models::GenerationRequest> requests;
  std::ifstream prompts(argv[2]);
  for (std::string line; std::getline(prompts, line);) {
    std::istringstream ids(line);
    spct::models::GenerationRequest r;
    for (int64_t id = 0; ids >> id;) r.prompt.push_back(id);
    r.seed = requests.size();
    if (!r.prompt.empty()) requests.push_back(std::move(r));
  }
  if (requests.empty()) {
    std::fprintf(stderr, "spct_bench_rollout: no prompt in %s\n", argv[2]);
    return 2;
  }
  spct::models::SamplingParams params;
  params.temperature = std::atof(argv[4]);
  params.max_new_tokens = 2;
  run(*model, requests, params, false);  // warm-up
  params.max_new_tokens = std::atoll(argv[3]);
  for (int rep = 0; rep < reps; ++rep) {
    const Timing t = run(*model, requests, params, false);
    std::printf("{\"side\": \"spct\", \"batch\": %zu, \"tokens\": %zu, \"seconds\": %.6f, \"cpu_s\": %.6f}\n",
                requests.size(), t.tokens, t.seconds, t.cpu_seconds);
    std::fflush(stdout);
  }
  if (profile) {
    const int64_t new_tokens = params.max_new_tokens;
    params.max_new_tokens = 1;
    const Timing prefill = run(*model, requests, params, true);
    params.max_new_tokens = new_tokens;
    const Timing whole = run(*model, requests, params, true);
    const double decode = whole.seconds - prefill.seconds;
    const double kernels = whole.kernel_seconds - prefill.kernel_seconds;
    std::printf(
        "{\"side\": \"spct_profile\", \"batch\": %zu, \"decode_s\": %.6f, \"kernel_s\": %.6f, "
        "\"outside_share\": %.4f}\n",
        requests.size(), decode, kernels, decode > 0 ? 1.0 - kernels / decode : 0.0);
  }
  return 0;
}
