// A policy's greedy accuracy on the eval split of its data (a built-in task's data.eval_size held-out problems,
// or data.eval_path), judged by the task's verifier: the first of exact_match, numeric_match, math_match and
// grm_correct (a GRM's critiques as a policy) in reward.functions, or exact_match when none is listed (the
// built-in tasks' answers are exact strings). An item is correct when the verifier scores its completion 1 or more.
// This is the "policy accuracy before and after" figure of the quickstart: run it on the initial model and on
// the exported `model/` of a training run.
//
// Generation: temperature 0 (the argmax at every step), rollout.max_new_tokens, the tokenizer's end-of-sequence
// token and rollout.stop; all prompts in batches of kPolicyEvalBatch rows through one KV-cached generate() each.
//
// Sampled accuracy (eval.samples > 0): greedy accuracy hides what GRPO changes when the policy's argmax answer
// stays put while the rest of its distribution moves (a policy answering `1` to every count problem). So
// eval.samples more completions per item are drawn at eval.temperature (rollout.top_k and rollout.top_p as in
// training), completion s of item i seeded with mix_keys(run.seed, i, s): the same model and config give the
// same figure on any machine and in any batch. Their correct counts are kept per item, so a reader can take
// the standard error over items (the samples of one item are not independent evidence). From them come
// mean@n (the sampled accuracy, n = eval.samples) and pass@k for every k of eval.k up to n, by the unbiased
// estimator of pass_at_k.h.
//
// Thread safety: evaluate_policy() only reads the model; see models/generation.h.
#pragma once

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "orchestrator/eval/pass_at_k.h"

namespace spct::models {
class Transformer;
}

namespace spct::eval {

inline constexpr size_t kPolicyEvalBatch = 256;

struct PolicyExample {
  std::string prompt;
  std::string completion;
  std::string answer;
  bool correct = false;
};

// The eval.samples sampled completions of every item, judged by the same verifier.
struct SampledAccuracy {
  int64_t samples_per_item = 0;           // eval.samples; 0 = none sampled
  double temperature = 0;                 // eval.temperature
  std::vector<int64_t> correct_per_item;  // correct samples of each item, in item order
  int64_t truncated = 0;                  // sampled completions that hit rollout.max_new_tokens
  std::vector<int64_t> pass_ks;           // the k of eval.k that are <= samples_per_item, ascending

  int64_t completions() const { return samples_per_item * static_cast<int64_t>(correct_per_item.size()); }
  int64_t correct() const { return std::accumulate(correct_per_item.begin(), correct_per_item.end(), int64_t{0}); }
  double accuracy() const {
    const int64_t total = completions();
    return total == 0 ? 0.0 : static_cast<double>(correct()) / static_cast<double>(total);
  }
  // pass@k over the items (pass_at_k.h). REQUIRES: 1 <= k <= samples_per_item.
  double pass_at(int64_t k) const { return mean_pass_at_k(samples_per_item, correct_per_item, k); }
};

struct PolicyEvalResult {
  std::string verifier;  // "exact_match", "numeric_match", "math_match" or "grm_correct"
  int64_t items = 0;
  int64_t correct = 0;
  int64_t truncated = 0;  // completions that hit rollout.max_new_tokens
  double seconds = 0;
  std::vector<uint8_t> correct_per_item;  // greedy: 1 where item i's completion is correct, in item order
  std::vector<PolicyExample> examples;    // the first few items, for a look at what the policy writes
  SampledAccuracy sampled;                // empty unless eval.samples > 0

  double accuracy() const { return items == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(items); }
};

// Evaluates `policy` on the eval split `config` names, at most eval.max_items items when that is > 0: greedily,
// and with eval.samples sampled completions per item when that is > 0. Throws
// spct::UsageError when the data has no eval split (a JSONL dataset without data.eval_path), spct::InputError
// for malformed data.
PolicyEvalResult evaluate_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                                 const models::Transformer& policy);

}  // namespace spct::eval
