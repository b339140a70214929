// What a checkpoint costs: a learner checkpoint (policy in HF format, AdamW moments, reference model: four
// copies of the weights) of a 25M-parameter model, written into a staging directory and sealed by the
// manifest (hash + fsync + rename), then verified and restored as a resume does. Baselines from the same run:
// one fsynced file of the same size (what the disk allows) and SHA-256 over the same bytes in memory (what the
// manifest's hashing allows).
//
// Usage: spct_bench_checkpoint [DIR]  (default: a fresh directory under /tmp)
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/manifest.h"
#include "core/config/config.h"
#include "core/sha256.h"
#include "learner/learner_checkpoint.h"
#include "models/model_config.h"

namespace {

double seconds(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const char* what, double megabytes, double secs, double baseline_secs = 0) {
  std::printf("%-46s %8.1f MB in %7.3f s = %8.1f MB/s", what, megabytes, secs, megabytes / secs);
  if (baseline_secs > 0) std::printf("  (%.2fx the baseline's time)", secs / baseline_secs);
  std::printf("\n");
}

spct::config::Config bench_config() {
  spct::config::Config config;
  config.model.hidden_size = 512;
  config.model.num_layers = 3;
  config.model.num_heads = 8;
  config.model.num_kv_heads = 4;
  config.model.intermediate_size = 1408;
  config.model.max_position = 2048;
  config.rollout.group_size = 2;
  config.rollout.max_new_tokens = 4;
  config.grpo.lr = 1e-4;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::random_device entropy;
  const fs::path root =
      argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / ("spct-bench-checkpoint-" + std::to_string(entropy()));
  at::set_num_threads(1);
  const spct::config::Config config = bench_config();
  spct::models::Transformer policy(spct::models::from_section(config.model, 32000), 1);
  spct::learner::GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  // One update, so that the optimizer's moments exist and are not zero.
  spct::learner::LearnerBatch batch;
  batch.group_size = 2;
  batch.prompts = {{1, 2, 3}, {1, 2, 3}};
  batch.completions = {{4, 5}, {6}};
  batch.rewards = {1, 0};
  batch.truncated = {false, false};
  learner.step(batch, 0);

  const spct::checkpoint::CheckpointStore store(root / "checkpoints", {2, 0});
  fs::path staging;
  const double write_s = seconds([&] {
    staging = store.stage(1);
    spct::learner::save_learner_checkpoint(learner, policy, staging, {});
  });
  const double seal_s = seconds([&] { store.commit(1); });
  const fs::path checkpoint = store.final_path(1);
  const double megabytes = static_cast<double>(spct::checkpoint::manifest_bytes(checkpoint)) / 1e6;
  const double verify_s = seconds([&] {
    if (!spct::checkpoint::verify_manifest(checkpoint).empty()) std::abort();
  });
  spct::models::Transformer other(spct::models::from_section(config.model, 32000), 2);
  spct::learner::GrpoLearner restored(spct::learner::grpo_learner_options(config), other, nullptr);
  const double restore_s = seconds([&] { spct::learner::load_learner_checkpoint(restored, other, checkpoint); });

  const std::string bytes(static_cast<std::size_t>(megabytes * 1e6), 'x');
  const double disk_s = seconds([&] { spct::write_file_atomically(root / "plain.bin", bytes); });
  const double hash_s = seconds([&] { spct::sha256_hex(bytes); });

  int64_t parameters = 0;
  for (const auto& parameter : policy.named_parameters()) parameters += parameter.tensor.numel();
  std::printf("checkpoint of a %.1f M-parameter model: %.1f MB on disk in %s\n", static_cast<double>(parameters) / 1e6,
              megabytes, checkpoint.c_str());
  report("baseline: one fsynced file of the same size", megabytes, disk_s);
  report("baseline: SHA-256 of the same bytes in memory", megabytes, hash_s);
  report("write the files (staging, fsynced)", megabytes, write_s, disk_s);
  report("seal (manifest hashes + fsync + rename)", megabytes, seal_s, hash_s);
  report("checkpoint total (write + seal)", megabytes, write_s + seal_s, disk_s + hash_s);
  report("verify the manifest (resume)", megabytes, verify_s, hash_s);
  report("restore the learner (resume)", megabytes, restore_s);
  fs::remove_all(root);
  return 0;
}
