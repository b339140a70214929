// `spct generate` end to end: the real spct binary on a model directory written by
// save_hf_model, checked against in-process generation on the same checkpoint.
#include <ATen/Parallel.h>
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "models/tokenizer/char_tokenizer.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;

namespace {

struct CommandResult {
  int exit_code;
  std::string out;  // stdout, and stderr after it
};

// Runs the spct binary with `arguments` (already shell-quoted), capturing stdout and stderr. The binary is
// $SPCT_BINARY when set, else the one this test was built with.
CommandResult run_spct(const std::string& arguments) {
  const char* from_environment = std::getenv("SPCT_BINARY");
  const std::string binary = from_environment != nullptr ? from_environment : SPCT_BUILT_BINARY;
  const std::string command = binary + " " + arguments + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buffer;
  while (const std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), read);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A random model over the character vocabulary, saved as a Hugging Face directory.
void save_char_model(const std::filesystem::path& dir) {
  at::set_num_threads(1);
  spct::models::ModelConfig config;
  config.family = spct::models::Family::kLlama;
  config.vocab_size = spct::tokenizer::CharTokenizer::kVocabSize;
  config.hidden_size = 32;
  config.num_layers = 2;
  config.num_heads = 4;
  config.num_kv_heads = 2;
  config.head_dim = 8;
  config.intermediate_size = 64;
  config.max_position = 128;
  spct::model_io::save_hf_model(spct::models::Transformer(config, 21), dir);
}

nlohmann::json generate_json(const std::filesystem::path& dir, const std::string& options) {
  const CommandResult result =
      run_spct("generate " + dir.string() + " --tokenizer char --prompt '12+30=' --json " + options);
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

}  // namespace

TEST_CASE("greedy spct generate matches in-process generation on the saved checkpoint", "[generate]") {
  spct::testing::TempDir dir;
  save_char_model(dir.path());
  const nlohmann::json out = generate_json(dir.path(), "--max-new-tokens 6");

  const spct::tokenizer::CharTokenizer tokenizer;
  const std::vector<int32_t> expected_prompt = tokenizer.encode("12+30=", /*add_special=*/true);
  CHECK(out["prompt_ids"].get<std::vector<int32_t>>() == expected_prompt);
  const auto ids = out["ids"].get<std::vector<int64_t>>();
  REQUIRE(!ids.empty());
  CHECK(ids.size() <= 6);
  CHECK((out["finish_reason"] == "length") == (ids.size() == 6));
  CHECK(out["tokens"].size() == ids.size());
  CHECK(out["pieces"].size() == ids.size());
  for (const float logprob : out["logprobs"].get<std::vector<float>>()) CHECK((std::isfinite(logprob) && logprob <= 0));
  for (const float logprob : out["sampling_logprobs"].get<std::vector<float>>()) CHECK(logprob == 0.0F);

  const auto model = spct::model_io::load_hf_model(dir.path());
  spct::models::SamplingParams params;
  params.temperature = 0;
  params.max_new_tokens = 6;
  params.stop_token_ids = {tokenizer.eos_id()};
  const spct::models::GenerationRequest request{std::vector<int64_t>(expected_prompt.begin(), expected_prompt.end()),
                                                0};
  const auto completion = spct::models::generate(*model, {request}, params).front();
  CHECK(completion.tokens == ids);
  const auto logprobs = out["logprobs"].get<std::vector<float>>();
  REQUIRE(logprobs.size() == completion.logprobs.size());
  for (std::size_t i = 0; i < logprobs.size(); ++i) CHECK(logprobs[i] == Approx(completion.logprobs[i]).margin(1e-5));
}

TEST_CASE("sampling with a seed reproduces, and the plain output is the decoded text", "[generate]") {
  spct::testing::TempDir dir;
  save_char_model(dir.path());
  const std::string sampling = "--max-new-tokens 8 --temperature 1.5 --top-k 20 --top-p 0.9 --seed 4";
  const nlohmann::json first = generate_json(dir.path(), sampling);
  const nlohmann::json second = generate_json(dir.path(), sampling);
  CHECK(first["ids"] == second["ids"]);
  CHECK(first["sampling_logprobs"] == second["sampling_logprobs"]);
  for (const float logprob : first["sampling_logprobs"].get<std::vector<float>>()) CHECK(logprob <= 0.0F);

  const CommandResult plain = run_spct("generate " + dir.path() + " --tokenizer char --prompt '12+30=' " + sampling);
  REQUIRE(plain.exit_code == 0);
  const spct::tokenizer::CharTokenizer tokenizer;
  const auto ids = first["ids"].get<std::vector<int32_t>>();
  CHECK(plain.out == tokenizer.decode(ids, /*skip_special=*/true) + "\n");
}

TEST_CASE("spct generate reports a bad model directory or option with its exit code", "[generate]") {
  spct::testing::TempDir dir;
  const CommandResult missing = run_spct("generate " + dir.path() + " --tokenizer char --prompt hi");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.out, Contains("config.json"));

  save_char_model(dir.path());
  CHECK(run_spct("generate " + dir.path() + " --tokenizer char --prompt hi --temperature -1").exit_code == 2);
  CHECK(run_spct("generate " + dir.path() + " --tokenizer char --prompt hi --top-p 1.5").exit_code == 2);
  const CommandResult no_tokenizer = run_spct("generate " + dir.path() + " --prompt hi");
  CHECK(no_tokenizer.exit_code != 0);
  CHECK_THAT(no_tokenizer.out, Contains("tokenizer"));
}
