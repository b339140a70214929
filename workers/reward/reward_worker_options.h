// What a RewardWorker is told (reward_worker.h), in one plain struct whose defaults are those of an empty
// experiment config: the reward functions and their weights, the options of the rule rewards, what the GRM and
// the reward models need, and the rollout log's bounds. reward_worker_options() fills it from the config; this
// file's .cpp is the one place under workers/reward that reads an experiment config. Tests may set fields
// directly.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm_model/model_load_options.h"
#include "workers/reward/grm_reward/grm_backends.h"
#include "workers/reward/rules/rule_options.h"

namespace spct::reward {

struct RewardWorkerOptions {
  // reward.functions: rule names, `grm`, and external rewards (NAME=command:..., NAME=http:..., NAME=scalar:DIR).
  std::vector<std::string> functions = {"exact_match"};
  // reward.weights, one per function; empty: the combination rules of reward_worker.h.
  std::vector<double> weights;
  RuleOptions rules;               // the rule rewards' options
  GrmBackendOptions grm;           // the GRM (grm.*: used when `functions` lists grm) and how reward models load
  config::ObserveSection observe;  // which steps the rollout log records, and its bounds
};

// The options of a reward worker of `config`'s run. reward.overlong_shaping is applied here: unless
// reward.functions lists it, `overlong` is appended as a last function of weight 1, however the others are
// weighed: with reward.weights given, 1 is appended; with none given and `grm` listed (where rule functions
// weigh grm.rule_weight, often 0), the weights are written out (grm 1 - rule_weight, each rule rule_weight,
// overlong 1) so that the shaping is never silently weighed to nothing.
RewardWorkerOptions reward_worker_options(const config::Config& config);

// The rule rewards' options in `config` (reward.*, rollout.stop and max_new_tokens, grm.score_min/max).
RuleOptions rule_options(const config::Config& config);

// The GRM backends' options in `config` (grm.*, tokenizer.*, model.device, run.seed, timeouts.step_s).
GrmBackendOptions grm_backend_options(const config::Config& config);

}  // namespace spct::reward
