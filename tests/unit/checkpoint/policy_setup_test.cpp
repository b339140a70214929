// model.dtype with model.path: `auto` keeps the directory's torch_dtype, any other value casts the loaded model
// (it used to be ignored silently, so a float32 run of a bf16 checkpoint trained in bf16); and such a model's own
// context (config.json), not model.max_position, bounds the prompt and completion lengths.
#include "orchestrator/train/policy_setup.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
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
  config.data.max_prompt_tokens = 16;  // within the saved model's context
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

TEST_CASE("a model.path model's own context bounds the prompt and completion lengths, not model.max_position") {
  const fs::path dir = fs::temp_directory_path() / ("spct-policy-context-" + std::to_string(::getpid()));
  spct::config::Config config = spct::test::tiny_learner_config();
  const auto tokenizer = spct::train::make_run_tokenizer(config);
  spct::model_io::save_hf_model(*spct::train::make_policy(config, *tokenizer), dir, {});
  const int64_t context = spct::model_io::read_hf_config(dir).max_position;

  config.model.path = dir.string();
  config.model.max_position = 8;  // a new model's key: ignored for a loaded one
  config.data.max_prompt_tokens = context - config.rollout.max_new_tokens;
  CHECK_NOTHROW(spct::train::make_policy(config, *tokenizer));
  config.data.max_prompt_tokens += 1;
  try {
    spct::train::make_policy(config, *tokenizer);
    FAIL("a sequence one token longer than the model's context was accepted");
  } catch (const spct::UsageError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("data.max_prompt_tokens + rollout.max_new_tokens"));
    CHECK_THAT(message, Catch::Contains("max_position_embeddings " + std::to_string(context)));
    CHECK_THAT(message, Catch::Contains((dir / "config.json").string()));
  }
  fs::remove_all(dir);
}
