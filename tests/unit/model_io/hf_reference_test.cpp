// spct against Hugging Face transformers itself. tests/reference/hf_model_reference.py builds random tiny
// Llama, Qwen2, Qwen3 and Qwen3-MoE models with transformers (tied and untied, llama3 and linear rope scaling,
// biases, qk-norm, both MoE routings), saves them with save_pretrained in float32 and bfloat16, and answers
// transformers' teacher-forced log-probs and model.generate greedy tokens. spct loads the same directories and
// must agree; models spct saves must load in transformers and give spct's logits. Each case prints its
// max |Δ| so that the figures can be quoted.
#include <ATen/Parallel.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/ones.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "models/logprobs.h"
#include "tests/unit/config/test_files.h"

namespace {

using nlohmann::json;
using spct::models::DType;
using Rows = std::vector<std::vector<int64_t>>;

// fp32: the bound. spct and transformers run the same float32 arithmetic in a different order (fused
// vs. split projections, attention kernels), which leaves ~1e-6.
constexpr double kFloat32Tolerance = 1e-4;
// bf16: both sides round every matmul output and activation to 8 significant bits (relative 2^-9 ~ 0.002), in
// different places, so log-probs of magnitude ~5 differ by a few bf16 steps (0.016-0.03 each). Measured: up to
// BF16_MEASURED; transformers' own bf16 result differs from its fp32 one by about as much.
constexpr double kBFloat16Tolerance = 0.1;

double tolerance(const std::string& dtype) {
  return dtype == "bfloat16" ? kBFloat16Tolerance : kFloat32Tolerance;
}

// Runs the reference script with SPCT_PYTHON (the environment's, else the one this test was built with) under
// `timeout`, so a hung interpreter fails the test inside its CTest limit, which CMake derives from this deadline.
json run_reference(const std::string& arguments, const std::string& request, const std::filesystem::path& scratch) {
  const char* from_environment = std::getenv("SPCT_PYTHON");
  const std::string python = from_environment != nullptr ? from_environment : SPCT_PYTHON;
  const std::filesystem::path script =
      std::filesystem::path(SPCT_SOURCE_DIR) / "tests" / "reference" / "hf_model_reference.py";
  const std::filesystem::path request_file = scratch / "request.json";
  const std::filesystem::path error_file = scratch / "reference.err";
  std::ofstream(request_file, std::ios::binary) << request;
  const std::string command = "timeout " + std::to_string(SPCT_HF_REFERENCE_DEADLINE_S) + " '" + python + "' '" +
                              script.string() + "' " + arguments + " < '" + request_file.string() + "' 2> '" +
                              error_file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 1 << 16> buffer;
  while (const std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), read);
  const int status = ::pclose(pipe);
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  INFO(command);
  INFO("exit " << exit_code << (exit_code == 124 ? " (the deadline passed)" : "") << ": "
               << spct::testing::read_file(error_file.string()));
  REQUIRE(exit_code == 0);
  return json::parse(out);
}

// The models transformers made and what it computed on them; made once per test process.
struct Reference {
  spct::testing::TempDir dir;
  json answer;
};

const Reference& reference() {
  static Reference made;  // its directory is removed when the process exits
  if (made.answer.is_null()) {
    made.answer = run_reference("make '" + made.dir.path() + "/models'", "", made.dir.path());
    std::cout << "reference: transformers " << made.answer["transformers_version"].get<std::string>() << ", torch "
              << made.answer["torch_version"].get<std::string>() << "\n";
  }
  return made;
}

Rows rows(const json& value) {
  return value.get<Rows>();
}

std::unique_ptr<spct::models::Transformer> load(const json& c) {
  at::set_num_threads(1);
  auto model = spct::model_io::load_hf_model(c["dir"].get<std::string>());
  const DType expected = c["dtype"] == "bfloat16" ? DType::kBFloat16 : DType::kFloat32;
  INFO(c["name"]);
  CHECK(model->config().dtype == expected);  // config.json's dtype reaches the model
  return model;
}

// max |a - b| over rows of possibly different lengths; the shapes must agree.
double max_difference(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].size() == b[i].size());
    for (std::size_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, std::abs(a[i][j] - b[i][j]));
  }
  return worst;
}

}  // namespace

TEST_CASE("spct's teacher-forced log-probs are transformers' on every family and dtype", "[hf-reference]") {
  const json& cases = reference().answer["cases"];
  REQUIRE(cases.size() >= 12);
  for (const json& c : cases) {
    const auto model = load(c);
    const Rows completions = rows(c["completions"]);
    const spct::models::CompletionLogProbs out =
        spct::models::completion_logprobs(*model, rows(c["prompts"]), completions);
    const at::Tensor logprobs = out.logprobs.to(at::kDouble).contiguous();
    std::vector<std::vector<double>> spct_rows;
    for (std::size_t i = 0; i < completions.size(); ++i) {
      const double* row = logprobs[static_cast<int64_t>(i)].data_ptr<double>();
      spct_rows.emplace_back(row, row + completions[i].size());
    }
    const double worst = max_difference(spct_rows, c["logprobs"].get<std::vector<std::vector<double>>>());
    std::cout << c["name"].get<std::string>() << ": teacher-forced log-probs max |delta| " << worst << "\n";
    INFO(c["name"]);
    CHECK(worst <= tolerance(c["dtype"]));
  }
}

TEST_CASE("spct's greedy generations are transformers' model.generate", "[hf-reference]") {
  for (const json& c : reference().answer["cases"]) {
    const auto model = load(c);
    const Rows prompts = rows(c["prompts"]);
    const Rows expected = rows(c["greedy"]);
    std::vector<spct::models::GenerationRequest> requests;
    for (const auto& prompt : prompts) requests.push_back({prompt, 0});
    spct::models::SamplingParams params;
    params.temperature = 0;
    params.max_new_tokens = static_cast<int64_t>(expected.front().size());
    // No stop token: transformers generated exactly max_new_tokens, and so must spct. The prompts run as one
    // left-padded batch here, one by one in the reference.
    const std::vector<spct::models::Completion> completions = spct::models::generate(*model, requests, params);
    std::vector<std::vector<double>> logprobs;
    INFO(c["name"]);
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      CHECK(completions[i].tokens == expected[i]);
      logprobs.emplace_back(completions[i].logprobs.begin(), completions[i].logprobs.end());
    }
    if (std::all_of(completions.begin(), completions.end(), [&](const auto& x) { return x.tokens.size() == 8; })) {
      const double worst = max_difference(logprobs, c["greedy_logprobs"].get<std::vector<std::vector<double>>>());
      std::cout << c["name"].get<std::string>() << ": greedy tokens equal, their log-probs max |delta| " << worst
                << " (smallest top-2 logit gap " << c["greedy_min_margin"].get<double>() << ")\n";
      CHECK(worst <= tolerance(c["dtype"]));
    }
  }
}

TEST_CASE("models spct saves load in transformers and give spct's logits", "[hf-reference]") {
  const Reference& ref = reference();
  spct::testing::TempDir saved;
  // Two rows of 12 tokens spread over the vocabulary; no padding, so the logits are comparable everywhere.
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 24; ++i) ids.push_back((i * 37 + 5) % 128);
  const at::Tensor input_ids = at::from_blob(ids.data(), {2, 12}, at::TensorOptions().dtype(at::kLong)).clone();
  const at::Tensor positions = at::arange(12, at::TensorOptions().dtype(at::kLong)).unsqueeze(0).expand({2, 12});
  const at::Tensor mask = at::ones({2, 12}, at::TensorOptions().dtype(at::kBool));

  json request = {{"dirs", json::array()}, {"input_ids", json::array()}};
  for (int64_t row = 0; row < 2; ++row)
    request["input_ids"].push_back(std::vector<int64_t>(ids.begin() + row * 12, ids.begin() + row * 12 + 12));
  std::vector<at::Tensor> spct_logits;
  std::vector<std::string> names;
  for (const json& c : ref.answer["cases"]) {
    // Loaded from transformers' files and saved by spct: every config option and tensor goes through spct's
    // writer (config.json in spct's style, spct's tensor names, tied lm_head left out).
    const auto model = load(c);
    const std::filesystem::path out = std::filesystem::path(saved.path()) / c["name"].get<std::string>();
    spct::model_io::save_hf_model(*model, out);
    spct_logits.push_back(model->forward(input_ids, positions, mask).to(at::kDouble).contiguous());
    request["dirs"].push_back(out.string());
    names.push_back(c["name"]);
  }
  const json answer = run_reference("logits", request.dump(), saved.path());
  for (std::size_t k = 0; k < names.size(); ++k) {
    const json& c = ref.answer["cases"][k];
    INFO(names[k]);
    CHECK(answer["dtypes"][k] == c["dtype"]);
    const auto theirs = answer["logits"][k].get<std::vector<std::vector<std::vector<double>>>>();
    double worst = 0;
    REQUIRE(theirs.size() == 2);
    for (int64_t b = 0; b < 2; ++b) {
      REQUIRE(theirs[b].size() == 12);
      for (int64_t t = 0; t < 12; ++t) {
        const double* row = spct_logits[k][b][t].data_ptr<double>();
        REQUIRE(static_cast<int64_t>(theirs[b][t].size()) == spct_logits[k].size(2));
        for (std::size_t v = 0; v < theirs[b][t].size(); ++v)
          worst = std::max(worst, std::abs(row[v] - theirs[b][t][v]));
      }
    }
    std::cout << names[k] << ": saved by spct, logits in transformers max |delta| " << worst << "\n";
    CHECK(worst <= tolerance(c["dtype"]));
  }
}
