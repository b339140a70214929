#include "workers/reward/grm_model/meta_rm.h"

#include <ATen/Parallel.h>
#include <c10/util/Logging.h>  // before Catch, whose CHECK must win over c10's

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "models/model_config.h"
#include "models/tokenizer/factory.h"
#include "workers/reward/grm_model/meta_rm_trainer.h"

using Catch::Matchers::Contains;
using spct::grm::MetaRmExample;

namespace {

spct::models::ModelConfig tiny_shape(const spct::tokenizer::Tokenizer& tokenizer) {
  spct::config::ModelSection section;
  section.hidden_size = 32;
  section.intermediate_size = 64;
  section.num_layers = 1;
  section.max_position = 32;
  return spct::models::from_section(section, tokenizer.vocab_size());
}

std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("spct_meta_rm_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("binary cross-entropy training separates correct from wrong critiques", "[grm_model]") {
  at::set_num_threads(1);
  const auto tokenizer = spct::tokenizer::make_tokenizer(spct::config::TokenizerSection{}, "");
  spct::models::ScalarHeadModel model(tiny_shape(*tokenizer), 3);
  // The label is visible in the critique: a right critique scores the shown best first.
  std::vector<std::string> prompts, critiques;
  std::vector<MetaRmExample> examples;
  for (int i = 0; i < 16; ++i) {
    const bool correct = i % 2 == 0;
    prompts.push_back("Q:" + std::to_string(i % 7) + "+1= R1:a R2:b S:");
    critiques.push_back(correct ? "\\boxed{9,1}" : "\\boxed{1,9}");
    examples.push_back({spct::grm::meta_rm_tokens(*tokenizer, prompts.back(), critiques.back(), 32), correct});
  }
  std::vector<const MetaRmExample*> batch;
  for (const MetaRmExample& e : examples) batch.push_back(&e);

  spct::grm::MetaRmTrainer trainer(model, {.lr = 3e-3});
  const double first = trainer.step(batch);
  CHECK(first == Approx(std::log(2.0)).margin(0.05));  // an untrained head says ~0.5 for everything
  double last = first;
  for (int s = 0; s < 60; ++s) last = trainer.step(batch);
  CHECK(last < 0.1);
  const std::vector<double> ratings = spct::grm::rate_critiques(model, *tokenizer, prompts, critiques, 5);
  REQUIRE(ratings.size() == 16);
  for (size_t i = 0; i < ratings.size(); ++i) CHECK((ratings[i] > 0) == (i % 2 == 0));
}

TEST_CASE("a saved meta RM loads back with the same ratings, and a rater uses it", "[grm_model]") {
  at::set_num_threads(1);
  const auto tokenizer = spct::tokenizer::make_tokenizer(spct::config::TokenizerSection{}, "");
  const spct::models::ScalarHeadModel model(tiny_shape(*tokenizer), 8);
  const std::filesystem::path dir = fresh_dir("roundtrip");
  spct::grm::save_meta_rm(model, dir);
  std::ifstream config(dir / "config.json");
  const std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Contains("ForSequenceClassification") && Contains("\"num_labels\": 1"));

  const std::vector<std::string> prompts = {"Q:1+1= R1:2 R2:3 S:", "Q:2+2= R:4 S:"};
  const std::vector<std::string> critiques = {"\\boxed{9,2}", "\\boxed{1}"};
  const auto rater = spct::grm::load_meta_rm_rater(dir.string(), spct::grm::ModelLoadOptions{});
  const std::vector<double> expected = spct::grm::rate_critiques(model, *tokenizer, prompts, critiques);
  const std::vector<double> loaded = rater->rate(prompts, critiques);
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0] == expected[0]);
  CHECK(loaded[1] == expected[1]);
  CHECK(expected[0] != expected[1]);
  std::filesystem::remove_all(dir);
}

TEST_CASE("load_meta_rm refuses a language-model directory, naming config.json", "[grm_model]") {
  const std::filesystem::path dir = fresh_dir("not_meta");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"})";
  CHECK_THROWS_WITH(spct::grm::load_meta_rm(dir), Contains("config.json") && Contains("ForSequenceClassification"));
  CHECK_THROWS_AS(spct::grm::load_meta_rm(dir / "missing"), spct::InputError);
  std::filesystem::remove_all(dir);
}
