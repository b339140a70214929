#include "orchestrator/eval/policy_eval.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "models/generation.h"
#include "models/tokenizer/factory.h"
#include "models/transformer.h"
#include "orchestrator/data/deterministic_random.h"
#include "orchestrator/data/prompt_sources.h"
#include "orchestrator/train/prompt_text.h"
#include "workers/reward/reward_worker_options.h"
#include "workers/reward/rules/combined_reward.h"

namespace spct::eval {
namespace {

constexpr size_t kExamples = 8;

std::string verifier_name(const config::RewardSection& reward) {
  for (const std::string& name : reward.functions) {
    if (name == "exact_match" || name == "numeric_match" || name == "math_match" || name == "grm_correct") {
      return name;
    }
  }
  return "exact_match";
}

models::SamplingParams generation_params(const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  models::SamplingParams params;
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

// A held-out item as the policy sees it.
struct EvalPrompt {
  std::string text;
  std::vector<int64_t> ids;
  std::string answer;
};

// One completion to generate: the item it answers and its sampling seed.
struct Draw {
  size_t item;
  uint64_t seed;
};

struct Judged {
  std::string text;
  bool correct;
  bool truncated;
};

// Generates every draw (kPolicyEvalBatch rows per generate() call) and judges it with `verifier`.
std::vector<Judged> generate_and_judge(const models::Transformer& policy, const tokenizer::Tokenizer& tokenizer,
                                       const models::SamplingParams& params, const reward::CombinedReward& verifier,
                                       const std::vector<EvalPrompt>& prompts, const std::vector<Draw>& draws) {
  std::vector<Judged> judged;
  judged.reserve(draws.size());
  for (size_t first = 0; first < draws.size(); first += kPolicyEvalBatch) {
    const size_t end = std::min(draws.size(), first + kPolicyEvalBatch);
    std::vector<models::GenerationRequest> requests;
    for (size_t d = first; d < end; ++d) requests.push_back({prompts[draws[d].item].ids, draws[d].seed});
    const std::vector<models::Completion> completions = models::generate(policy, requests, params);
    for (size_t d = first; d < end; ++d) {
      const models::Completion& completion = completions[d - first];
      const EvalPrompt& prompt = prompts[draws[d].item];
      const std::vector<int32_t> ids(completion.tokens.begin(), completion.tokens.end());
      std::string text = tokenizer.decode(ids, /*skip_special=*/true);
      const bool truncated = completion.finish_reason == models::FinishReason::kLength;
      const reward::RewardInput input{prompt.text, text, prompt.answer, static_cast<int64_t>(ids.size()), truncated};
      const bool correct = verifier.score(input).total >= 1.0;
      judged.push_back({std::move(text), correct, truncated});
    }
  }
  return judged;
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
  const reward::CombinedReward verifier =
      reward::CombinedReward::make({result.verifier}, {}, reward::rule_options(config));
  const tokenizer::ChatFormat chat_format = tokenizer::make_chat_format(config.tokenizer, config.model.path);

  std::vector<EvalPrompt> prompts;
  for (uint64_t i = 0; i < count; ++i) {
    const data::PromptItem item = sources.eval->at(i);
    std::string text = train::prompt_text(item, chat_format);
    const std::vector<int32_t> ids = tokenizer.encode(text, /*add_special=*/false);
    prompts.push_back({std::move(text), std::vector<int64_t>(ids.begin(), ids.end()), item.answer});
  }

  models::SamplingParams greedy = generation_params(config, tokenizer);
  greedy.temperature = 0;
  std::vector<Draw> greedy_draws;
  for (size_t i = 0; i < prompts.size(); ++i) greedy_draws.push_back({i, /*seed=*/i});
  const std::vector<Judged> greedy_judged =
      generate_and_judge(policy, tokenizer, greedy, verifier, prompts, greedy_draws);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Judged& judged = greedy_judged[i];
    ++result.items;
    result.correct += judged.correct ? 1 : 0;
    result.correct_per_item.push_back(judged.correct ? 1 : 0);
    result.truncated += judged.truncated ? 1 : 0;
    if (result.examples.size() < kExamples) {
      result.examples.push_back({prompts[i].text, judged.text, prompts[i].answer, judged.correct});
    }
  }

  if (config.eval.samples > 0) {
    SampledAccuracy& sampled = result.sampled;
    sampled.samples_per_item = config.eval.samples;
    sampled.temperature = config.eval.temperature;
    for (const double k : config.eval.k) {
      const auto whole = static_cast<int64_t>(k);
      if (whole <= sampled.samples_per_item) sampled.pass_ks.push_back(whole);
    }
    std::sort(sampled.pass_ks.begin(), sampled.pass_ks.end());
    sampled.pass_ks.erase(std::unique(sampled.pass_ks.begin(), sampled.pass_ks.end()), sampled.pass_ks.end());
    models::SamplingParams params = generation_params(config, tokenizer);
    params.temperature = config.eval.temperature;
    params.top_k = config.rollout.top_k;
    params.top_p = config.rollout.top_p;
    const auto seed = static_cast<uint64_t>(config.run.seed);
    const auto samples = static_cast<uint64_t>(sampled.samples_per_item);
    std::vector<Draw> draws;
    for (size_t i = 0; i < prompts.size(); ++i) {
      for (uint64_t s = 0; s < samples; ++s) draws.push_back({i, data::mix_keys(seed, i, s)});
    }
    const std::vector<Judged> judged = generate_and_judge(policy, tokenizer, params, verifier, prompts, draws);
    sampled.correct_per_item.assign(prompts.size(), 0);
    for (size_t d = 0; d < draws.size(); ++d) {
      sampled.correct_per_item[draws[d].item] += judged[d].correct ? 1 : 0;
      sampled.truncated += judged[d].truncated ? 1 : 0;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace spct::eval
