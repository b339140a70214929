// Saving and loading a ~100 MB model (25M parameters in fp32) as a Hugging Face directory, in MB/s of tensor
// data: one file and 20 MB shards; fp32 as is, and converted to and from bf16. Saves include the fsyncs that
// make them durable. Loads read files the save just wrote, so they come from the page cache: the figures are the
// parser, the copies and the conversions, not the disk.
//
// Usage: spct_bench_model_io [DIR] [THREADS]  (DIR: where the model is written, default a fresh directory under
// /tmp; THREADS: ATen threads, default 1)
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>

#include "models/io/hf_model_dir.h"

namespace {

using spct::models::DType;
using spct::models::Transformer;

spct::models::ModelConfig bench_config() {
  spct::models::ModelConfig config;
  config.family = spct::models::Family::kQwen3;
  config.qk_norm = true;
  config.vocab_size = 32000;
  config.hidden_size = 512;
  config.num_layers = 3;
  config.num_heads = 8;
  config.num_kv_heads = 4;
  config.head_dim = 64;
  config.intermediate_size = 1408;
  config.max_position = 2048;
  config.tie_embeddings = true;
  return config;
}

// The best of `repeats` runs of `fn`, in seconds: the least disturbed by the other processes on the machine.
double best_seconds(int repeats, const std::function<void()>& fn) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

void report(const char* what, double megabytes, double seconds) {
  std::printf("%-52s %8.1f MB in %7.3f s = %8.1f MB/s\n", what, megabytes, seconds, megabytes / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::random_device entropy;
  const std::filesystem::path root =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::temp_directory_path() / ("spct-bench-model-io-" + std::to_string(entropy()));
  at::set_num_threads(argc > 2 ? std::stoi(argv[2]) : 1);
  constexpr int kRepeats = 3;

  const Transformer model(bench_config(), 1);
  uint64_t bytes = 0;
  for (const auto& parameter : model.named_parameters()) bytes += parameter.tensor.nbytes();
  const double megabytes = static_cast<double>(bytes) / 1e6;
  const double bf16_megabytes = megabytes / 2;
  std::printf("model: %.1f M parameters, %.1f MB in fp32, ATen threads %d, directory %s\n",
              static_cast<double>(bytes) / 4e6, megabytes, at::get_num_threads(), root.c_str());

  const std::filesystem::path single = root / "single";
  const std::filesystem::path sharded = root / "sharded";
  const std::filesystem::path bf16 = root / "bf16";
  spct::model_io::SaveOptions shards;
  shards.max_shard_bytes = 20'000'000;
  spct::model_io::SaveOptions in_bf16;
  in_bf16.dtype = DType::kBFloat16;

  report("save fp32, one file (fsynced)", megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::save_hf_model(model, single); }));
  report("save fp32, 20 MB shards (fsynced)", megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::save_hf_model(model, sharded, shards); }));
  report("save fp32 model as bf16 (convert + fsync)", bf16_megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::save_hf_model(model, bf16, in_bf16); }));

  Transformer target(bench_config(), 2);
  report("load fp32 one file into a model (page cache)", megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::load_hf_weights(single, target); }));
  report("load fp32 shards into a model (page cache)", megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::load_hf_weights(sharded, target); }));
  report("load bf16 file into an fp32 model (convert)", bf16_megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::load_hf_weights(bf16, target); }));
  report("load_hf_model: config + build + load, fp32", megabytes,
         best_seconds(kRepeats, [&] { spct::model_io::load_hf_model(single); }));

  std::error_code ignored;
  if (argc <= 1) std::filesystem::remove_all(root, ignored);
  return 0;
}
