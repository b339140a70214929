// A learner restored from a checkpoint continues bit-identically: the same next update as the learner that
// wrote it (policy, AdamW moments and step, reference model, KL coefficient, schedule position).
#include "learner/learner_checkpoint.h"

#include <ATen/Parallel.h>
#include <ATen/ops/equal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "models/model_config.h"
#include "tests/unit/grpo_learner/tiny_learner.h"

namespace fs = std::filesystem;
using spct::learner::GrpoLearner;
using spct::learner::LearnerBatch;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spct-learner-ckpt-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

spct::config::Config tiny_config() {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.rollout.group_size = 2;
  config.rollout.max_new_tokens = 3;
  config.grpo.beta = 0.1;
  config.grpo.kl_target = 0.01;  // adaptive: beta moves every step, so restoring it matters
  config.grpo.ref_reset_every = 2;
  config.grpo.lr_schedule = spct::config::LrDecay::kCosine;
  config.grpo.warmup_steps = 1;
  config.run.steps = 10;
  return config;
}

std::unique_ptr<spct::models::Transformer> make_model(const spct::config::Config& config, uint64_t seed) {
  return std::make_unique<spct::models::Transformer>(spct::models::from_section(config.model, 12), seed);
}

LearnerBatch batch(int variant) {
  LearnerBatch b;
  b.group_size = 2;
  b.prompts = {{1, 2, 3}, {1, 2, 3}, {4, 5}, {4, 5}};
  b.completions = {{6, 7, 8}, {9, 10}, {3, 3, 3}, {11}};
  b.rewards = {1.0 * variant, 0.0, 0.0, 1.0};
  b.truncated = {true, false, true, false};
  return b;
}

bool same_parameters(const spct::models::Transformer& a, const spct::models::Transformer& b) {
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    if (!at::equal(pa[i].tensor, pb[i].tensor)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a restored learner takes the very same next steps as the learner that wrote the checkpoint") {
  at::set_num_threads(1);
  TempDir dir;
  auto config = tiny_config();
  // bfloat16: the float32 masters and moments must come back too, or the next updates differ.
  config.model.dtype = GENERATE(spct::config::ModelDType::kFloat32, spct::config::ModelDType::kBFloat16);
  CAPTURE(spct::config::to_string(config.model.dtype));
  auto policy = make_model(config, 7);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), *policy, nullptr);
  for (int step = 0; step < 3; ++step) learner.step(batch(step % 2 + 1), step);
  spct::learner::save_learner_checkpoint(learner, *policy, dir.path, {});
  CHECK(fs::exists(dir.path / "model" / "config.json"));
  CHECK(fs::exists(dir.path / "model" / "model.safetensors"));
  CHECK(fs::exists(dir.path / "optimizer.safetensors"));
  CHECK(fs::exists(dir.path / "reference.safetensors"));

  auto restored_policy = make_model(config, 99);  // other initial weights: everything must come from the files
  GrpoLearner restored(spct::learner::grpo_learner_options(config), *restored_policy, nullptr);
  spct::learner::load_learner_checkpoint(restored, *restored_policy, dir.path);
  CHECK(same_parameters(*policy, *restored_policy));
  CHECK(same_parameters(learner.reference(), restored.reference()));
  CHECK(restored.kl_controller().beta() == learner.kl_controller().beta());
  CHECK(restored.optimizer_steps() == learner.optimizer_steps());
  const spct::learner::NamedTensors saved_state = learner.optimizer_state();
  const spct::learner::NamedTensors restored_state = restored.optimizer_state();
  REQUIRE(saved_state.size() == restored_state.size());
  for (std::size_t i = 0; i < saved_state.size(); ++i) {
    CAPTURE(saved_state[i].first);
    CHECK(restored_state[i].first == saved_state[i].first);
    CHECK(at::equal(restored_state[i].second, saved_state[i].second));
  }
  const bool has_masters = saved_state.back().first.rfind("master.", 0) == 0;
  CHECK(has_masters == (config.model.dtype == spct::config::ModelDType::kBFloat16));

  for (int step = 3; step < 6; ++step) {
    const auto a = learner.step(batch(step % 2 + 1), step);
    const auto b = restored.step(batch(step % 2 + 1), step);
    CHECK(a.at("loss/total") == b.at("loss/total"));
    CHECK(a.at("optim/lr") == b.at("optim/lr"));
  }
  CHECK(same_parameters(*policy, *restored_policy));
  CHECK(learner.weights_digest() == restored.weights_digest());
}

TEST_CASE("a checkpoint of another model shape is refused with the file and tensor named") {
  at::set_num_threads(1);
  TempDir dir;
  auto config = tiny_config();
  auto policy = make_model(config, 1);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), *policy, nullptr);
  spct::learner::save_learner_checkpoint(learner, *policy, dir.path, {});
  config.model.intermediate_size = 48;
  auto other = make_model(config, 1);
  GrpoLearner other_learner(spct::learner::grpo_learner_options(config), *other, nullptr);
  CHECK_THROWS_AS(spct::learner::load_learner_checkpoint(other_learner, *other, dir.path), spct::InputError);
}

TEST_CASE("a learner.json without its keys is refused, naming the file") {
  at::set_num_threads(1);
  TempDir dir;
  const auto config = tiny_config();
  auto policy = make_model(config, 1);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), *policy, nullptr);
  spct::learner::save_learner_checkpoint(learner, *policy, dir.path, {});
  std::ofstream(dir.path / "learner.json") << "{\"kl_beta\": 0.1}";
  CHECK_THROWS_WITH(spct::learner::load_learner_checkpoint(learner, *policy, dir.path),
                    Catch::Matchers::Contains("learner.json"));
}
