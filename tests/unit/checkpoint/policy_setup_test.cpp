// model.dtype with model.path: `auto` keeps the directory's torch_dtype, any other value casts the loaded model
// (it used to be ignored silently, so a float32 run of a bf16 checkpoint trained in bf16).
#include "orchestrator/train/policy_setup.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "models/io/hf_model_dir.h"
#include "models/model_config.h"
#include "tests/unit/grpo_learner/tiny_learner.h"

namespace fs = std::filesystem;

TEST_CASE("model.dtype casts a model loaded from model.path, auto keeps its dtype") {
  const fs::path dir = fs::temp_directory_path() / ("spct-policy-setup-" + std::to_string(::getpid()));
  spct::config::Config config = spct::test::tiny_learner_config();
  config.model.dtype = spct::config::ModelDType::kBFloat16;
  const auto tokenizer = spct::train::make_run_tokenizer(config);
  const auto saved = spct::train::make_policy(config, *tokenizer);
  REQUIRE(saved->dtype() == at::kBFloat16);
  spct::model_io::save_hf_model(*saved, dir, {});

  config.model.path = dir.string();
  config.model.dtype = spct::config::ModelDType::kAuto;
  CHECK(spct::train::make_policy(config, *tokenizer)->dtype() == at::kBFloat16);
  config.model.dtype = spct::config::ModelDType::kFloat32;
  const auto widened = spct::train::make_policy(config, *tokenizer);
  CHECK(widened->dtype() == at::kFloat);
  // The cast is exact (bf16 -> float32), and every parameter follows.
  const auto a = saved->named_parameters();
  const auto b = widened->named_parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].name);
    CHECK(b[i].tensor.scalar_type() == at::kFloat);
    CHECK(b[i].tensor.equal(a[i].tensor.to(at::kFloat)));
  }
  config.model.activation_checkpointing = true;
  CHECK(spct::train::make_policy(config, *tokenizer)->activation_checkpointing());
  fs::remove_all(dir);
}
