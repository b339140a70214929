#include "models/tokenizer/factory.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "models/tokenizer/bpe_tokenizer.h"
#include "models/tokenizer/char_tokenizer.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/tokenizer/reference.h"

using Catch::Matchers::Contains;
using spct::config::TokenizerSection;
using spct::tokenizer::make_tokenizer;
using spct::tokenizer::open_tokenizer;

TEST_CASE("make_tokenizer builds what the tokenizer section asks for", "[tokenizer][factory]") {
  const std::string qwen = spct::testing::shared_tokenizer_dir("qwen3") + "/tokenizer.json";
  TokenizerSection section;  // defaults: kind char
  CHECK(dynamic_cast<spct::tokenizer::CharTokenizer*>(make_tokenizer(section, "").get()) != nullptr);

  section.kind = spct::config::TokenizerKind::kHf;
  section.path = qwen;
  const auto by_path = make_tokenizer(section, "/no/such/model");
  CHECK(by_path->token_to_id("<|im_end|>") == by_path->eos_id());

  // Without a path, the model directory's tokenizer.json is used.
  section.path.clear();
  const std::string model_dir = std::filesystem::path(qwen).parent_path().string();
  CHECK(make_tokenizer(section, model_dir)->vocab_size() == by_path->vocab_size());
  CHECK_THROWS_AS(make_tokenizer(section, ""), spct::UsageError);
  spct::testing::TempDir empty;
  CHECK_THROWS_WITH(make_tokenizer(section, empty.path()), Contains(empty.path() + "/tokenizer.json"));
}

TEST_CASE("open_tokenizer takes char, a tokenizer.json, or a directory holding one", "[tokenizer][factory]") {
  const std::string llama = spct::testing::shared_tokenizer_dir("llama3") + "/tokenizer.json";
  CHECK(open_tokenizer("char")->vocab_size() == spct::tokenizer::CharTokenizer::kVocabSize);
  const auto from_file = open_tokenizer(llama);
  const auto from_dir = open_tokenizer(std::filesystem::path(llama).parent_path().string());
  CHECK(from_file->encode("Hello world") == from_dir->encode("Hello world"));
  CHECK(from_file->bos_id() == from_file->token_to_id("<|begin_of_text|>"));
  CHECK_THROWS_AS(open_tokenizer("/no/such/tokenizer"), spct::UsageError);
  spct::testing::TempDir empty;
  CHECK_THROWS_WITH(open_tokenizer(empty.path()), Contains("has no tokenizer.json"));
}
