#include "orchestrator/eval/policy_eval.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "models/generation.h"
#include "models/tokenizer/chat_template.h"
#include "models/transformer.h"
#include "orchestrator/data/prompt_sources.h"
#include "orchestrator/train/prompt_text.h"
#include "workers/reward/rules/combined_reward.h"

namespace spct::eval {
namespace {

constexpr size_t kExamples = 8;

std::string verifier_name(const config::RewardSection& reward) {
  for (const std::string& name : reward.functions) {
    if (name == "exact_match" || name == "numeric_match" || name == "grm_correct") return name;
  }
  return "exact_match";
}

models::SamplingParams greedy_params(const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  models::SamplingParams params;
  params.temperature = 0;
  params.max_new_tokens = config.rollout.max_new_tokens;
  params.stop_token_ids = {tokenizer.eos_id()};
  params.stop_strings = config.rollout.stop;
  if (!params.stop_strings.empty()) {
    params.decode = [&tokenizer](const std::vector<int64_t>& ids) {
      const std::vector<int32_t> narrow(ids.begin(), ids.end());
      return tokenizer.decode(narrow, /*skip_special=*/true);
    };
  }
  return params;
}

}  // namespace

PolicyEvalResult evaluate_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                                 const models::Transformer& policy) {
  const auto start = std::chrono::steady_clock::now();
  const data::PromptSources sources = data::make_prompt_sources(config);
  if (!sources.eval) {
    throw UsageError("spct eval: data.path has no evaluation split; set data.eval_path to the prompts to evaluate on");
  }
  uint64_t count = sources.eval->size();
  if (config.eval.max_items > 0) count = std::min(count, static_cast<uint64_t>(config.eval.max_items));

  PolicyEvalResult result;
  result.verifier = verifier_name(config.reward);
  config::Config verifier_config = config;
  verifier_config.reward.functions = {result.verifier};
  verifier_config.reward.weights.clear();
  const reward::CombinedReward verifier = reward::CombinedReward::from_config(verifier_config);
  const tokenizer::ChatTemplate chat_template = tokenizer::parse_chat_template(config.tokenizer.chat_template);
  const models::SamplingParams params = greedy_params(config, tokenizer);

  for (uint64_t first = 0; first < count; first += kPolicyEvalBatch) {
    const uint64_t end = std::min<uint64_t>(count, first + kPolicyEvalBatch);
    std::vector<data::PromptItem> items;
    std::vector<std::string> prompts;
    std::vector<models::GenerationRequest> requests;
    for (uint64_t i = first; i < end; ++i) {
      items.push_back(sources.eval->at(i));
      prompts.push_back(train::prompt_text(items.back(), chat_template));
      const std::vector<int32_t> ids = tokenizer.encode(prompts.back(), /*add_special=*/false);
      requests.push_back({std::vector<int64_t>(ids.begin(), ids.end()), /*seed=*/i});
    }
    const std::vector<models::Completion> completions = models::generate(policy, requests, params);
    for (size_t i = 0; i < items.size(); ++i) {
      const models::Completion& completion = completions[i];
      const std::vector<int32_t> ids(completion.tokens.begin(), completion.tokens.end());
      const std::string text = tokenizer.decode(ids, /*skip_special=*/true);
      const bool truncated = completion.finish_reason == models::FinishReason::kLength;
      const reward::RewardInput input{prompts[i], text, items[i].answer, static_cast<int64_t>(ids.size()), truncated};
      const bool correct = verifier.score(input).total >= 1.0;
      ++result.items;
      result.correct += correct ? 1 : 0;
      result.truncated += truncated ? 1 : 0;
      if (result.examples.size() < kExamples) result.examples.push_back({prompts[i], text, items[i].answer, correct});
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace spct::eval
