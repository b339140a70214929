// `spct generate MODEL_DIR --prompt "..." [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]
// [--seed S] [--json]`: loads a Hugging Face model directory and completes one prompt, for checking a
// checkpoint or an export by hand. Greedy when the temperature is 0 (the default). With --json it prints the
// token ids, each token's spelling and text, and per-token log-probs, as one JSON object.
#include <ATen/Parallel.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/cli/commands.h"

namespace spct::cli {
namespace {

struct GenerateArgs {
  std::string model_dir;
  std::string prompt;
  std::string tokenizer;  // empty: the model directory's tokenizer.json
  std::string dtype;      // empty: config.json's torch_dtype (float16 becomes float32, see below)
  int64_t max_new_tokens = 32;
  double temperature = 0.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

std::optional<models::DType> parse_dtype(const std::string& name) {
  if (name.empty()) return std::nullopt;
  for (const models::DType dtype : {models::DType::kFloat32, models::DType::kBFloat16, models::DType::kFloat16}) {
    if (name == models::dtype_name(dtype)) return dtype;
  }
  throw UsageError("--dtype: '" + name + "' is not one of float32, bfloat16, float16");
}

std::unique_ptr<models::Transformer> load_model(const GenerateArgs& args) {
  model_io::LoadOptions options;
  options.dtype = parse_dtype(args.dtype);
  // LibTorch's CPU kernels have no fp16 matmul: an fp16 checkpoint is computed in fp32 unless asked otherwise.
  if (!options.dtype && model_io::read_hf_config(args.model_dir).dtype == models::DType::kFloat16) {
    options.dtype = models::DType::kFloat32;
  }
  return model_io::load_hf_model(args.model_dir, options);
}

void print_json(const GenerateArgs& args, const tokenizer::Tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                const models::Completion& completion) {
  nlohmann::json tokens = nlohmann::json::array();
  nlohmann::json pieces = nlohmann::json::array();
  std::vector<int32_t> ids;
  for (const int64_t id : completion.tokens) {
    ids.push_back(static_cast<int32_t>(id));
    // null for an id of the model's padded embedding that no token has (Hugging Face's id_to_token: None)
    tokens.push_back(ids.back() < tokenizer.vocab_size() ? nlohmann::json(tokenizer.id_to_token(ids.back()))
                                                         : nlohmann::json(nullptr));
    const int32_t one[] = {ids.back()};
    pieces.push_back(tokenizer.decode(one));
  }
  const nlohmann::json out = {
      {"model", args.model_dir},
      {"prompt", args.prompt},
      {"prompt_ids", prompt},
      {"ids", ids},
      {"tokens", tokens},
      {"pieces", pieces},
      {"text", tokenizer.decode(ids)},
      // The model's own log-prob of each token (temperature 1, unfiltered), and the log-prob under the
      // distribution it was drawn from (temperature, top-k, top-p applied; 0 when greedy).
      {"logprobs", completion.logprobs},
      {"sampling_logprobs", completion.sampling_logprobs},
      {"finish_reason", models::finish_reason_name(completion.finish_reason)},
      {"sampling",
       {{"temperature", args.temperature}, {"top_k", args.top_k}, {"top_p", args.top_p}, {"seed", args.seed}}}};
  std::cout << out.dump() << "\n";
}

void run_generate(const GenerateArgs& args) {
  if (args.threads > 0) at::set_num_threads(args.threads);
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  try {
    tokenizer = tokenizer::open_tokenizer(args.tokenizer.empty() ? args.model_dir : args.tokenizer);
  } catch (const UsageError& e) {
    if (!args.tokenizer.empty()) throw;
    throw UsageError(std::string(e.what()) + " (name one with --tokenizer: \"char\" or a tokenizer.json)");
  }
  const auto model = load_model(args);

  const std::vector<int32_t> prompt = tokenizer->encode(args.prompt, /*add_special=*/true);
  if (prompt.empty()) throw UsageError("--prompt: the prompt has no tokens");
  models::SamplingParams params;
  params.temperature = args.temperature;
  params.top_k = args.top_k;
  params.top_p = args.top_p;
  params.max_new_tokens = args.max_new_tokens;
  params.stop_token_ids = {tokenizer->eos_id()};
  const int64_t model_eos = model->config().eos_token_id;
  if (model_eos >= 0 && model_eos != tokenizer->eos_id()) params.stop_token_ids.push_back(model_eos);
  try {
    models::validate(params);
  } catch (const InputError& e) {
    throw UsageError(e.what());  // the values came from the command line
  }

  const models::GenerationRequest request{std::vector<int64_t>(prompt.begin(), prompt.end()), args.seed};
  const models::Completion completion = models::generate(*model, {request}, params).front();
  if (args.json) {
    print_json(args, *tokenizer, prompt, completion);
    return;
  }
  const std::vector<int32_t> ids(completion.tokens.begin(), completion.tokens.end());
  std::cout << tokenizer->decode(ids, /*skip_special=*/true) << "\n";
}

}  // namespace

void register_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* command = app.add_subcommand("generate", "Complete a prompt with a Hugging Face model directory");
  command->add_option("model_dir", args->model_dir, "A model directory (config.json, safetensors weights)")->required();
  command->add_option("--prompt", args->prompt, "The text to complete")->required();
  command->add_option("--max-new-tokens", args->max_new_tokens, "Tokens to generate at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--temperature", args->temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--top-k", args->top_k, "Sample among the k most likely tokens; 0 keeps all")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--top-p", args->top_p, "Sample within this probability mass (nucleus); 1 keeps all")
      ->capture_default_str();
  command->add_option("--seed", args->seed, "Seeds the sampling; the same seed gives the same completion")
      ->capture_default_str();
  command->add_option("--tokenizer", args->tokenizer,
                      "\"char\", a tokenizer.json file or a directory holding one (default: MODEL_DIR)");
  command->add_option("--dtype", args->dtype,
                      "Compute in float32, bfloat16 or float16 (default: config.json's torch_dtype; float16 "
                      "checkpoints run in float32, as the CPU has no float16 matmul)");
  command->add_option("--threads", args->threads, "ATen threads; 0 keeps LibTorch's default")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--json", args->json,
                    "Print JSON: token ids, token strings, decoded text, per-token log-probs, finish reason");
  command->callback([args] { run_generate(*args); });
}

}  // namespace spct::cli
