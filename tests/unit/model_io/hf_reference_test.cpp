// spct against Hugging Face transformers itself. tests/reference/hf_model_reference.py builds random tiny
// Llama, Qwen2, Qwen3, Qwen3-MoE and Gemma 2 models with transformers (tied and untied, llama3 and linear rope
// scaling, biases, qk-norm, both MoE routings; Gemma 2's sliding windows shorter than the sequences, soft caps,
// query_pre_attn_scalar), saves them with save_pretrained in float32 and bfloat16, and answers transformers'
// teacher-forced log-probs and model.generate greedy tokens. spct loads the same directories and
// must agree; models spct saves must load in transformers and give spct's logits. A Gemma 2 directory carrying
// the real Gemma 3 tokenizer checks the `spct generate` binary from text to text, and the dense fp32 models'
// gradients are compared with transformers' autograd. Each case prints its max |Δ| so that the figures can be
// quoted.
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/log_softmax.h>
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
#include <map>
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
// bf16: both sides round every matmul output and activation to 8 significant bits (relative 2^-9), in
// different places (spct's fused attention kernel rounds less), so log-probs of magnitude ~5 differ by a few
// bf16 steps of ~0.016. Measured: at most 0.015 over all cases (Gemma 2, whose attention spct computes in
// transformers' order, 5e-7); transformers' own bf16 log-probs differ from its fp32 ones on the same model by
// more (0.024; Gemma 2: 0.12).
constexpr double kBFloat16Tolerance = 0.05;

double tolerance(const std::string& dtype) {
  return dtype == "bfloat16" ? kBFloat16Tolerance : kFloat32Tolerance;
}

// A greedy step whose top-2 logit gap (in transformers) is below this is a tie within rounding: either token is
// a correct greedy choice, and the rest of the sequence may then differ. fp32: twice the log-prob bound, 100
// times the error measured (~1e-6). bf16: the log-prob bound, about twice the largest error of a top-2 gap
// measured (log-probs of the greedy tokens differ by up to 0.017; their logits round in steps of 0.008-0.03).
double greedy_tie_gap(const std::string& dtype) {
  return dtype == "bfloat16" ? kBFloat16Tolerance : 2 * kFloat32Tolerance;
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

// Runs the spct binary with `arguments` (already shell-quoted); stdout only, stderr on failure in the message.
json run_spct_json(const std::string& arguments, const std::filesystem::path& scratch) {
  const char* from_environment = std::getenv("SPCT_BINARY");
  const std::string binary = from_environment != nullptr ? from_environment : SPCT_BUILT_BINARY;
  const std::filesystem::path error_file = scratch / "spct.err";
  const std::string command = binary + " " + arguments + " 2> '" + error_file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 1 << 16> buffer;
  while (const std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), read);
  const int status = ::pclose(pipe);
  INFO(command);
  INFO(spct::testing::read_file(error_file.string()));
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
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
  REQUIRE(cases.size() >= 16);
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
    const std::string dtype = c["dtype"];
    const Rows prompts = rows(c["prompts"]);
    const Rows expected = rows(c["greedy"]);
    const auto margins = c["greedy_margins"].get<std::vector<std::vector<double>>>();
    const auto expected_logprobs = c["greedy_logprobs"].get<std::vector<std::vector<double>>>();
    std::vector<spct::models::GenerationRequest> requests;
    for (const auto& prompt : prompts) requests.push_back({prompt, 0});
    spct::models::SamplingParams params;
    params.temperature = 0;
    params.max_new_tokens = static_cast<int64_t>(expected.front().size());
    // No stop token: transformers generated exactly max_new_tokens, and so must spct. The prompts run as one
    // left-padded batch here, one by one in the reference.
    const std::vector<spct::models::Completion> completions = spct::models::generate(*model, requests, params);
    INFO(c["name"]);
    REQUIRE(completions.size() == prompts.size());
    std::size_t compared = 0;
    std::size_t steps = 0;
    double worst = 0;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      REQUIRE(completions[i].tokens.size() == expected[i].size());
      steps += expected[i].size();
      // Tokens up to the first near-tie must be transformers' exactly; from there on both continuations are right.
      std::size_t agree = 0;
      while (agree < expected[i].size() && margins[i][agree] >= greedy_tie_gap(dtype)) ++agree;
      compared += agree;
      const std::vector<int64_t> ours(completions[i].tokens.begin(), completions[i].tokens.begin() + agree);
      const std::vector<int64_t> theirs(expected[i].begin(), expected[i].begin() + agree);
      CHECK(ours == theirs);
      for (std::size_t j = 0; j < agree; ++j) {
        worst = std::max(worst, std::abs(completions[i].logprobs[j] - expected_logprobs[i][j]));
      }
    }
    std::cout << c["name"].get<std::string>() << ": greedy tokens equal on " << compared << " of " << steps
              << " steps (the rest follow a top-2 tie within rounding), their log-probs max |delta| " << worst << "\n";
    CHECK(worst <= tolerance(dtype));
    // fp32 leaves no near-ties in these models: every token is compared. bf16's coarse logits tie often (a
    // step of 0.008-0.03 against top-2 gaps of a few hundredths), so only a prefix of each row is.
    CHECK((dtype == "float32" ? compared == steps : compared > 0));
  }
}

TEST_CASE("models spct saves load in transformers and give spct's logits", "[hf-reference]") {
  const Reference& ref = reference();
  spct::testing::TempDir saved;
  // Two rows of 12 tokens spread over the vocabulary; no padding, so the logits are comparable everywhere.
  constexpr int64_t kRows = 2;
  constexpr int64_t kTokens = 12;
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < kRows * kTokens; ++i) ids.push_back((i * 37 + 5) % 128);
  const auto long_options = at::TensorOptions().dtype(at::kLong);
  const at::Tensor input_ids = at::from_blob(ids.data(), {kRows, kTokens}, long_options).clone();
  const at::Tensor positions = at::arange(kTokens, long_options).unsqueeze(0).expand({kRows, kTokens});
  const at::Tensor mask = at::ones({kRows, kTokens}, at::TensorOptions().dtype(at::kBool));

  json request = {{"dirs", json::array()}, {"input_ids", json::array()}};
  for (int64_t row = 0; row < kRows; ++row) {
    request["input_ids"].push_back(
        std::vector<int64_t>(ids.begin() + row * kTokens, ids.begin() + (row + 1) * kTokens));
  }
  std::vector<at::Tensor> spct_logits;
  for (const json& c : ref.answer["cases"]) {
    // Loaded from transformers' files and saved by spct in the file's dtype: every config option and tensor
    // goes through spct's writer (config.json in spct's style, spct's tensor names, tied lm_head left out).
    const auto model = load(c);
    const std::filesystem::path out = std::filesystem::path(saved.path()) / c["name"].get<std::string>();
    spct::model_io::save_hf_model(*model, out);
    request["dirs"].push_back(out.string());
    // Both sides compute in float32 (bf16 weights widen exactly), so only the files can make them differ.
    spct::model_io::LoadOptions float32;
    float32.dtype = DType::kFloat32;
    const auto wide = spct::model_io::load_hf_model(out, float32);
    spct_logits.push_back(wide->forward(input_ids, positions, mask).to(at::kDouble).contiguous());
  }
  const json answer = run_reference("logits", request.dump(), saved.path());
  for (std::size_t k = 0; k < spct_logits.size(); ++k) {
    const json& c = ref.answer["cases"][k];
    INFO(c["name"]);
    CHECK(answer["dtypes"][k] == c["dtype"]);  // saved in the dtype it was loaded in
    const auto theirs = answer["logits"][k].get<std::vector<std::vector<std::vector<double>>>>();
    REQUIRE(static_cast<int64_t>(theirs.size()) == kRows);
    double worst = 0;
    for (int64_t b = 0; b < kRows; ++b) {
      REQUIRE(static_cast<int64_t>(theirs[b].size()) == kTokens);
      for (int64_t t = 0; t < kTokens; ++t) {
        const at::Tensor ours = spct_logits[k][b][t];
        REQUIRE(static_cast<int64_t>(theirs[b][t].size()) == ours.size(0));
        const double* row = ours.data_ptr<double>();
        for (std::size_t v = 0; v < theirs[b][t].size(); ++v)
          worst = std::max(worst, std::abs(row[v] - theirs[b][t][v]));
      }
    }
    std::cout << c["name"].get<std::string>() << ": saved by spct, logits in transformers max |delta| " << worst
              << "\n";
    CHECK(worst <= kFloat32Tolerance);
  }
}

TEST_CASE("spct generate on a Gemma 2 directory with the Gemma 3 tokenizer is transformers' generate from text to text",
          "[hf-reference]") {
  const std::filesystem::path tokenizer_dir = std::filesystem::path(SPCT_SHARED_DIR) / "data" / "tokenizers" / "gemma3";
  INFO("the shared tokenizer files: " << tokenizer_dir);
  REQUIRE(std::filesystem::exists(tokenizer_dir / "tokenizer.json"));
  spct::testing::TempDir scratch;
  const std::filesystem::path model_dir = std::filesystem::path(scratch.path()) / "gemma2";
  // Scripts, accents, CJK, an emoji and digits: the prompt goes through spct's SentencePiece-style BPE.
  const std::string prompt = "Hello, world! Ça va? 日本語 🙂 12345";
  constexpr int64_t kMaxNewTokens = 12;
  const json request = {{"prompt", prompt}, {"max_new_tokens", kMaxNewTokens}};
  // The model's vocab_size is the tokenizer's length (262145), so every id the tokenizer makes is the model's.
  const json theirs =
      run_reference("gemma2-with-tokenizer '" + model_dir.string() + "' '" + tokenizer_dir.string() + "'",
                    request.dump(), scratch.path());
  const json ours = run_spct_json("generate '" + model_dir.string() + "' --prompt '" + prompt +
                                      "' --json --threads 1 --max-new-tokens " + std::to_string(kMaxNewTokens),
                                  scratch.path());
  CHECK(ours["prompt_ids"] == theirs["prompt_ids"]);
  const auto expected = theirs["greedy"].get<std::vector<int64_t>>();
  const auto margins = theirs["greedy_margins"].get<std::vector<double>>();
  const auto got = ours["ids"].get<std::vector<int64_t>>();
  // Tokens up to the first near-tie must be transformers' (none is expected in fp32: see greedy_tie_gap).
  std::size_t agree = 0;
  while (agree < expected.size() && margins[agree] >= greedy_tie_gap("float32")) ++agree;
  std::cout << "gemma2 + gemma3 tokenizer: spct generate equals transformers on " << agree << " of " << expected.size()
            << " greedy tokens\n";
  CHECK(agree == expected.size());
  REQUIRE(got.size() >= agree);
  CHECK(std::vector<int64_t>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(agree)) ==
        std::vector<int64_t>(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(agree)));
  if (agree == expected.size()) {
    CHECK(got.size() == expected.size());
    CHECK(ours["text"] == theirs["text"]);
  }
}

TEST_CASE("spct's gradients of the teacher-forced log-likelihood are transformers' (float32)", "[hf-reference]") {
  const Reference& ref = reference();
  // One row of 24 tokens: longer than every sliding window of the cases.
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 24; ++i) ids.push_back((i * 53 + 11) % 128);
  const auto n = static_cast<int64_t>(ids.size());
  const auto long_options = at::TensorOptions().dtype(at::kLong);
  const at::Tensor input_ids = at::from_blob(ids.data(), {1, n}, long_options).clone();
  const at::Tensor positions = at::arange(n, long_options).unsqueeze(0);
  const at::Tensor mask = at::ones({1, n}, at::TensorOptions().dtype(at::kBool));
  const at::Tensor targets = input_ids.narrow(1, 1, n - 1).reshape({-1, 1});

  json request = {{"dirs", json::array()}, {"input_ids", ids}};
  std::vector<json> cases;
  for (const json& c : ref.answer["cases"]) {
    // The MoE cases are left out: transformers 5 holds the experts fused in memory (mlp.experts.gate_up_proj),
    // so its gradients are not named the way its files (and spct) name the tensors.
    if (c["dtype"] != "float32" || c["family"] == "qwen3_moe") continue;
    request["dirs"].push_back(c["dir"]);
    cases.push_back(c);
  }
  const json answer = run_reference("grads", request.dump(), ref.dir.path());
  for (std::size_t k = 0; k < cases.size(); ++k) {
    INFO(cases[k]["name"]);
    const auto model = load(cases[k]);
    model->set_requires_grad(true);
    const at::Tensor logits = model->forward(input_ids, positions, mask)[0].narrow(0, 0, n - 1);
    const at::Tensor loss = at::log_softmax(logits.to(at::kFloat), -1).gather(1, targets).sum();
    loss.backward();
    CHECK(std::abs(loss.item<double>() - answer["loss"][k].get<double>()) <= kFloat32Tolerance);
    std::map<std::string, at::Tensor> ours;
    for (const spct::models::NamedTensor& p : model->named_parameters()) ours[p.name] = p.tensor.grad();
    const json& theirs = answer["grads"][k];
    CHECK(theirs.size() == ours.size());  // the same parameters, tied ones once
    double worst = 0;                     // relative to the largest gradient entry of the tensor
    for (const auto& [name, values] : theirs.items()) {
      INFO(name);
      REQUIRE(ours.count(name) == 1);
      REQUIRE(ours.at(name).defined());
      const at::Tensor grad = ours.at(name).to(at::kDouble).contiguous().view({-1});
      const auto expected = values.get<std::vector<double>>();
      REQUIRE(grad.numel() == static_cast<int64_t>(expected.size()));
      const at::Tensor reference_grad =
          at::from_blob(const_cast<double*>(expected.data()), {static_cast<int64_t>(expected.size())},
                        at::TensorOptions().dtype(at::kDouble));
      const double scale = std::max(1.0, reference_grad.abs().max().item<double>());
      worst = std::max(worst, (grad - reference_grad).abs().max().item<double>() / scale);
    }
    std::cout << cases[k]["name"].get<std::string>() << ": gradients max |delta| / max(1, max |grad|) " << worst
              << "\n";
    CHECK(worst <= kFloat32Tolerance);
  }
}

// The router load-balancing loss spct adds to a Qwen3-MoE policy's GRPO loss (model.moe.aux_loss_coef) is
// transformers' Qwen3MoeForCausalLM aux_loss: counts and router probabilities pooled over all MoE layers' unpadded
// tokens (load_balancing_loss_func), not the mean of per-layer losses. Checked on a left-padded batch, with and
// without activation checkpointing (which carries the pooled sums out of each recomputed layer), value and the
// gradient reaching every router.
TEST_CASE("spct's Qwen3-MoE load-balancing loss and its router gradients are transformers' aux_loss",
          "[hf-reference]") {
  spct::testing::TempDir scratch;
  const spct::models::PaddedBatch batch = spct::models::left_pad(
      {{5, 17, 3, 88, 41, 9, 60}, {12, 7, 7, 30, 2, 71, 19, 54, 23, 8, 44, 90}, {64, 1, 33}}, at::kCPU);
  const auto rows_of = [](const at::Tensor& t) {
    const at::Tensor values = t.to(at::kLong).contiguous();
    Rows out(static_cast<std::size_t>(values.size(0)));
    for (int64_t r = 0; r < values.size(0); ++r) {
      const int64_t* row = values[r].data_ptr<int64_t>();
      out[static_cast<std::size_t>(r)].assign(row, row + values.size(1));
    }
    return out;
  };
  const json request = {{"input_ids", rows_of(batch.input_ids)},
                        {"attention_mask", rows_of(batch.attention_mask)},
                        {"position_ids", rows_of(batch.position_ids)}};
  const std::string dir = scratch.path() + "/qwen3moe";
  const json answer = run_reference("moe-aux '" + dir + "'", request.dump(), scratch.path());
  const double expected = answer["aux_loss"].get<double>();
  // The per-layer mean differs on this model, so agreeing with the pooled value is not an accident.
  REQUIRE(std::abs(answer["layer_mean"].get<double>() - expected) > 0.1);
  at::set_num_threads(1);
  const auto model = spct::model_io::load_hf_model(dir);
  model->set_requires_grad(true);
  for (const bool checkpointing : {false, true}) {
    INFO("activation checkpointing " << checkpointing);
    model->set_activation_checkpointing(checkpointing);
    for (const spct::models::NamedTensor& p : model->named_parameters()) p.tensor.mutable_grad() = at::Tensor();
    spct::models::MoeStats stats;
    (void)model->hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask, nullptr, &stats);
    REQUIRE(stats.aux_loss.defined());
    const double aux = stats.aux_loss.item<double>();
    std::cout << "qwen3-moe aux_loss: spct " << aux << ", transformers " << expected << " (per-layer mean "
              << answer["layer_mean"].get<double>() << ")\n";
    CHECK(std::abs(aux - expected) <= kFloat32Tolerance);
    stats.aux_loss.backward();
    std::map<std::string, at::Tensor> ours;
    for (const spct::models::NamedTensor& p : model->named_parameters()) ours[p.name] = p.tensor.grad();
    REQUIRE(answer["gate_grads"].size() == 2);  // layers 0 and 2; layer 1 is dense
    for (const auto& [name, values] : answer["gate_grads"].items()) {
      INFO(name);
      REQUIRE(ours.count(name) == 1);
      REQUIRE(ours.at(name).defined());
      const auto reference_grad = values.get<std::vector<double>>();
      const at::Tensor theirs = at::from_blob(const_cast<double*>(reference_grad.data()),
                                              {static_cast<int64_t>(reference_grad.size())}, at::kDouble);
      const at::Tensor grad = ours.at(name).to(at::kDouble).contiguous().view({-1});
      REQUIRE(grad.numel() == theirs.numel());
      REQUIRE(theirs.abs().max().item<double>() > 1e-4);  // the router does get a gradient
      const double difference = (grad - theirs).abs().max().item<double>();
      std::cout << name << " gradient: max |spct - transformers| " << difference << ", max |transformers| "
                << theirs.abs().max().item<double>() << "\n";
      CHECK(difference <= kFloat32Tolerance);
    }
  }
}
