// spct's side of bench/rollout/compare_transformers.py: generation with the rollout engine on a Hugging Face
// model directory, for prompts given as token ids, printing one JSON line per measurement.
// Usage: spct_bench_rollout MODEL_DIR PROMPTS_FILE NEW_TOKENS TEMPERATURE THREADS [REPS=1] [PROFILE=0] [PROGRESS=0]
//   PROMPTS_FILE: one prompt per line, space-separated token ids; request i samples with seed i.
//   Each timing line also gives the prefill's share (prefill_s, prefill_cpu_s: up to the end of the prefill
//   pass); PROGRESS=1 adds a "spct_progress" line after the prefill and after every decode step.
//   PROFILE=1 adds a line with the share of decode time outside matmul/attention (kernel_timer.h), measured
//   in separate runs (the callbacks slow every op) as the difference of a NEW_TOKENS run and a one-token run;
//   PROFILE=2 also prints the decode's outermost ops by wall time (one JSON line each, the longest first) and
//   the time outside any op (the engine's host code).
#include <ATen/Parallel.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
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
  double prefill_seconds = 0;  // from the start to the end of the first prefill pass
  double prefill_cpu_seconds = 0;
  double kernel_seconds = 0;
  std::vector<spct::bench::OpTime> ops;
  size_t tokens = 0;
  uint64_t digest = 0;  // of every token and log-prob: equal digests mean identical generations
};

// FNV-1a over the completions' tokens and the bits of their log-probs, so that two builds can be checked for
// identical output.
uint64_t digest(const std::vector<spct::models::Completion>& completions) {
  uint64_t h = 1469598103934665603ull;
  const auto add = [&h](uint64_t word) {
    for (int byte = 0; byte < 8; ++byte) h = (h ^ ((word >> (8 * byte)) & 0xff)) * 1099511628211ull;
  };
  for (const auto& c : completions) {
    for (const int64_t token : c.tokens) add(static_cast<uint64_t>(token));
    for (const float lp : c.logprobs) add(std::bit_cast<uint32_t>(lp));
    for (const float lp : c.sampling_logprobs) add(std::bit_cast<uint32_t>(lp));
  }
  return h;
}

// profile: 0 none, 1 kernel time, 2 kernel time and every outermost op's. progress: print a line after the
// prefill and every decode step (wall and CPU seconds so far), so that a caller that stops a long run still has
// per-phase figures.
Timing run(const spct::models::Transformer& model, const std::vector<spct::models::GenerationRequest>& requests,
           const spct::models::SamplingParams& params, int profile, bool progress = false) {
  std::unique_ptr<spct::bench::KernelTimer> timer;
  if (profile > 0) timer = std::make_unique<spct::bench::KernelTimer>(profile >= 2);
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  const auto wall = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto cpu = [cpu_start] { return static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC; };
  Timing t;
  spct::models::GenerationOptions options;
  options.on_step = [&](const spct::models::GenerationStats& stats) {
    if (stats.admissions == 1 && stats.decode_steps == 0) {
      t.prefill_seconds = wall();
      t.prefill_cpu_seconds = cpu();
    }
    if (progress) {
      std::printf("{\"side\": \"spct_progress\", \"decode_steps\": %ld, \"seconds\": %.6f, \"cpu_s\": %.6f}\n",
                  static_cast<long>(stats.decode_steps), wall(), cpu());
      std::fflush(stdout);
    }
  };
  const std::vector<spct::models::Completion> out = spct::models::generate(model, requests, params, options);
  t.seconds = wall();
  t.cpu_seconds = cpu();
  if (timer) {
    t.kernel_seconds = timer->kernel_seconds();
    t.ops = timer->ops_by_time();
  }
  for (const auto& completion : out) t.tokens += completion.tokens.size();
  t.digest = digest(out);
  return t;
}

// The decode's share of each outermost op (the whole run's minus the one-token run's), longest first, and the
// time outside any op.
void print_decode_ops(const Timing& prefill, const Timing& whole, double decode) {
  std::map<std::string, spct::bench::OpTime> ops;
  for (const auto& op : whole.ops) ops[op.name] = op;
  for (const auto& op : prefill.ops) {
    ops[op.name].seconds -= op.seconds;
    ops[op.name].calls -= op.calls;
  }
  std::vector<spct::bench::OpTime> sorted;
  double in_ops = 0;
  for (auto& [name, op] : ops) {
    op.name = name;
    in_ops += op.seconds;
    sorted.push_back(op);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  for (const auto& op : sorted) {
    std::printf("{\"side\": \"spct_op\", \"op\": \"%s\", \"calls\": %ld, \"seconds\": %.6f, \"share\": %.4f}\n",
                op.name.c_str(), op.calls, op.seconds, op.seconds / decode);
  }
  std::printf(
      "{\"side\": \"spct_op\", \"op\": \"(outside any op)\", \"calls\": 0, \"seconds\": %.6f, "
      "\"share\": %.4f}\n",
      decode - in_ops, (decode - in_ops) / decode);
}

}  // namespace

int main(int argc, char** argv) {
  spct::run::configure_openmp_wait(argv);
  spct::run::keep_freed_memory();
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: spct_bench_rollout MODEL_DIR PROMPTS_FILE NEW_TOKENS TEMPERATURE THREADS [REPS] [PROFILE] "
                 "[PROGRESS]\n");
    return 2;
  }
  at::set_num_threads(std::atoi(argv[5]));
  const int reps = argc > 6 ? std::atoi(argv[6]) : 1;
  const int profile_level = argc > 7 ? std::atoi(argv[7]) : 0;
  const bool profile = profile_level != 0;
  const bool progress = argc > 8 && std::atoi(argv[8]) != 0;
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
  // Warm-up (first-call costs: allocations, kernel selection) on the prompts' first 8 tokens, so that a large
  // model does not pay a second full prefill for it.
  std::vector<spct::models::GenerationRequest> warm_up = requests;
  for (auto& r : warm_up) r.prompt.resize(std::min<size_t>(r.prompt.size(), 8));
  params.max_new_tokens = 2;
  run(*model, warm_up, params, 0);
  params.max_new_tokens = std::atoll(argv[3]);
  for (int rep = 0; rep < reps; ++rep) {
    const Timing t = run(*model, requests, params, 0, progress);
    std::printf(
        "{\"side\": \"spct\", \"batch\": %zu, \"tokens\": %zu, \"seconds\": %.6f, \"cpu_s\": %.6f, "
        "\"prefill_s\": %.6f, \"prefill_cpu_s\": %.6f, \"digest\": \"%016llx\"}\n",
        requests.size(), t.tokens, t.seconds, t.cpu_seconds, t.prefill_seconds, t.prefill_cpu_seconds,
        static_cast<unsigned long long>(t.digest));
    std::fflush(stdout);
  }
  if (profile) {
    const int64_t new_tokens = params.max_new_tokens;
    params.max_new_tokens = 1;
    const Timing prefill = run(*model, requests, params, profile_level);
    params.max_new_tokens = new_tokens;
    const Timing whole = run(*model, requests, params, profile_level);
    const double decode = whole.seconds - prefill.seconds;
    const double kernels = whole.kernel_seconds - prefill.kernel_seconds;
    std::printf(
        "{\"side\": \"spct_profile\", \"batch\": %zu, \"decode_s\": %.6f, \"kernel_s\": %.6f, "
        "\"outside_share\": %.4f}\n",
        requests.size(), decode, kernels, decode > 0 ? 1.0 - kernels / decode : 0.0);
    if (profile_level >= 2) print_decode_ops(prefill, whole, decode);
  }
  return 0;
}
