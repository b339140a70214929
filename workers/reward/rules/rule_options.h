// What the rule rewards are built from (reward_registry.h): the reward.* keys, and the few other keys a rule
// reads, in one plain struct whose defaults are those of an empty experiment config. reward_worker_options.h
// fills it from the config (rule_options); each rule's factory passes its function only the fields it needs.
// Tests may set fields directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/reward/rules/answer_extraction.h"

namespace spct::reward {

struct RuleOptions {
  // exact_match, numeric_match, math_match: where the answer is (answer_extraction.h).
  AnswerFormat answer_format = AnswerFormat::kLine;  // reward.answer_format
  std::vector<std::string> stop;                     // rollout.stop: strings that also end a line answer
  // exact_match.
  bool case_sensitive = true;        // reward.case_sensitive
  bool normalize_whitespace = true;  // reward.normalize_whitespace
  // numeric_match, math_match.
  double numeric_rel_tolerance = 1e-6;  // reward.numeric_rel_tolerance
  double numeric_abs_tolerance = 1e-9;  // reward.numeric_abs_tolerance
  // regex, format: PCRE2 patterns (empty: the function is unusable).
  std::string regex;           // reward.regex
  std::string format_pattern;  // reward.format_pattern
  // overlong: DAPO's L_max and L_cache.
  int64_t max_new_tokens = 8;   // rollout.max_new_tokens
  int64_t overlong_buffer = 4;  // reward.overlong_buffer
  // grm_correct, grm_parsed: the score range of a critique.
  int64_t grm_score_min = 1;   // grm.score_min
  int64_t grm_score_max = 10;  // grm.score_max
};

}  // namespace spct::reward
