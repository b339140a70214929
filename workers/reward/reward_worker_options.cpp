#include "workers/reward/reward_worker_options.h"

#include <algorithm>

namespace spct::reward {
namespace {

constexpr const char* kGrm = "grm";
constexpr const char* kOverlong = "overlong";

bool lists(const std::vector<std::string>& functions, const char* name) {
  return std::find(functions.begin(), functions.end(), name) != functions.end();
}

}  // namespace

RuleOptions rule_options(const config::Config& config) {
  const config::RewardSection& r = config.reward;
  return {.answer_format = r.answer_format,
          .stop = config.rollout.stop,
          .case_sensitive = r.case_sensitive,
          .normalize_whitespace = r.normalize_whitespace,
          .numeric_rel_tolerance = r.numeric_rel_tolerance,
          .numeric_abs_tolerance = r.numeric_abs_tolerance,
          .regex = r.regex,
          .format_pattern = r.format_pattern,
          .max_new_tokens = config.rollout.max_new_tokens,
          .overlong_buffer = r.overlong_buffer,
          .grm_score_min = config.grm.score_min,
          .grm_score_max = config.grm.score_max};
}

GrmBackendOptions grm_backend_options(const config::Config& config) {
  return {.section = config.grm,
          .load = {.tokenizer = config.tokenizer, .device = config.model.device},
          .seed = static_cast<uint64_t>(config.run.seed),
          .step_timeout_s = config.timeouts.step_s};
}

RewardWorkerOptions reward_worker_options(const config::Config& config) {
  RewardWorkerOptions options{.functions = config.reward.functions,
                              .weights = config.reward.weights,
                              .rules = rule_options(config),
                              .grm = grm_backend_options(config),
                              .observe = config.observe};
  // reward.overlong_shaping (see the header). `overlong` goes after every listed function, so the external
  // rewards' and the GRM's places are the same with and without it.
  if (!config.reward.overlong_shaping || lists(options.functions, kOverlong)) return options;
  if (options.weights.empty() && lists(options.functions, kGrm)) {
    for (const std::string& name : options.functions) {
      options.weights.push_back(name == kGrm ? 1.0 - config.grm.rule_weight : config.grm.rule_weight);
    }
  }
  if (!options.weights.empty()) options.weights.push_back(1.0);
  options.functions.emplace_back(kOverlong);
  return options;
}

}  // namespace spct::reward
