// One line of a rollout log (<run>/rollouts/step-XXXXXXXX.jsonl[.zst], rollout_log.h): one sampled completion
// with what the orchestrator knew of it at the end of its step. One line per completion (not per group) so that
// `spct rollouts --worst K`, jq and pandas see one row per sample; the prompt repeats across the group's lines,
// which zstd's window absorbs.
//
// JSON keys (docs/observability.md, "Rollout logs"):
//   step, group (index of the group in the step), prompt_id, index (completion index in its group),
//   policy_version, trained (the group went to the learners; false for groups dynamic sampling dropped),
//   prompt, completion (decoded text), reward, rewards ({component name: value before weighting}), advantage,
//   length (completion tokens), truncated (cut at rollout.max_new_tokens), logprob_sum (behaviour policy).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spct::observe {

struct RolloutRecord {
  int64_t step = 0;
  int64_t group = 0;
  uint64_t prompt_id = 0;
  int64_t index = 0;
  uint64_t policy_version = 0;
  bool trained = true;
  std::string prompt;
  std::string completion;
  double reward = 0;
  std::vector<std::pair<std::string, double>> rewards;  // components, in the reward's order
  double advantage = 0;
  int64_t length = 0;
  bool truncated = false;
  double logprob_sum = 0;
};

// The record as one JSON object, without the newline. Invalid UTF-8 in the texts is replaced (U+FFFD), so the
// line always parses.
std::string to_json_line(const RolloutRecord& record);

// Parses one line written by to_json_line(). Throws spct::InputError with `where` (file and line) prefixed when
// the line is not such an object.
RolloutRecord parse_json_line(const std::string& line, const std::string& where);

}  // namespace spct::observe
