// Generation throughput of spct's models::generate on a new model of the given shape, started the way the spct
// binary starts (passive OpenMP, freed memory kept: orchestrator/run/), printing one JSON line per repetition in
// the format of bench/eager/eager_loop.py gen, which bench/eager/compare.sh runs beside it.
// Usage: spct_bench_generate [--batch 64] [--vocab 131072] [--hidden 256] [--layers 2] [--heads 4]
//          [--kv-heads 2] [--intermediate 704] [--prompt 32] [--new-tokens 64] [--reps 1] [--threads 0]
#include <ATen/Parallel.h>
#include <ATen/ops/randint.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "models/generation.h"
#include "models/transformer.h"
#include "orchestrator/run/keep_freed_memory.h"
#include "orchestrator/run/openmp_wait_policy.h"

int main(int argc, char** argv) {
  spct::run::configure_openmp_wait(argv);
  spct::run::keep_freed_memory();
  std::map<std::string, int64_t> a = {{"--batch", 64},         {"--vocab", 131072}, {"--hidden", 256},
                                      {"--layers", 2},         {"--heads", 4},      {"--kv-heads", 2},
                                      {"--intermediate", 704}, {"--prompt", 32},    {"--new-tokens", 64},
                                      {"--reps", 1},           {"--threads", 0}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (a.count(argv[i]) == 0) {
      std::fprintf(stderr, "spct_bench_generate: unknown option %s\n", argv[i]);
      return 2;
    }
    a[argv[i]] = std::atoll(argv[i + 1]);
  }
  if (a["--threads"] > 0) at::set_num_threads(static_cast<int>(a["--threads"]));
  spct::models::ModelConfig c;
  c.family = spct::models::Family::kQwen2;
  c.vocab_size = a["--vocab"];
  c.hidden_size = a["--hidden"];
  c.num_layers = a["--layers"];
  c.num_heads = a["--heads"];
  c.num_kv_heads = a["--kv-heads"];
  c.head_dim = c.hidden_size / c.num_heads;
  c.intermediate_size = a["--intermediate"];
  c.max_position = 4096;
  c.qkv_bias = true;
  c.tie_embeddings = false;
  const spct::models::Transformer model(c, 1);
  std::vector<spct::models::GenerationRequest> requests;
  for (int64_t i = 0; i < a["--batch"]; ++i) {
    const at::Tensor p = at::randint(c.vocab_size, {a["--prompt"]}, at::TensorOptions().dtype(at::kLong));
    requests.push_back(
        {std::vector<int64_t>(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + p.numel()), static_cast<uint64_t>(i)});
  }
  spct::models::SamplingParams params;
  params.max_new_tokens = 2;
  spct::models::generate(model, requests, params);  // warm-up
  params.max_new_tokens = a["--new-tokens"];
  for (int64_t rep = 0; rep < a["--reps"]; ++rep) {
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    const std::vector<spct::models::Completion> out = spct::models::generate(model, requests, params);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    size_t tokens = 0;
    for (const auto& completion : out) tokens += completion.tokens.size();
    std::printf(
        "{\"what\": \"gen\", \"batch\": %lld, \"vocab\": %lld, \"tokens\": %zu, \"seconds\": %.6f, \"cpu_s\": %.6f, "
        "\"tokens_per_s\": %.3f}\n",
        static_cast<long long>(a["--batch"]), static_cast<long long>(c.vocab_size), tokens, seconds, cpu_s,
        static_cast<double>(tokens) / seconds);
    std::fflush(stdout);
  }
  return 0;
}
