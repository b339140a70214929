// One line of a rollout log (<run>/rollouts/step-XXXXXXXX.jsonl[.zst], rollout_log.h): one sampled completion
// with what the orchestrator knew of it at the end of its step. One line per completion (not per group) so that
// `spct rollouts --worst K`, jq and pandas see one row per sample; the prompt repeats across the group's lines,
// which zstd's window absorbs.
//
// JSON keys (docs/observability.md, "Rollout logs"):
//   step, group (index of the group in the step), prompt_id, index (completion index in its group),
//   policy_version, trained (the group went to the learners; false for groups dynamic sampling dropped),
//   prompt, completion (decoded text), reward, rewards ({component name: value before weighting}), advantage,
//   length (completion tokens), truncated (cut at rollout.max_new_tokens), logprob_sum (behaviour policy);
// and, only when there are any:
//   critiques: the GRM critiques of the completion's chunk, each {chunk, sample, response (the completion's
//     number in the critique's prompt: "Response N", or "RN:" in the compact template), score (the one it gave this
//     completion; null when its scores did not parse), meta_score, voted, text (cut to
//     observe.rollout_log_critique_chars)};
//   info: {external reward name: the info it returned for the completion (its JSON; a cut one as a string)}.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spct::observe {

// One GRM critique as the line of one completion of its chunk shows it.
struct RolloutCritique {
  int64_t chunk = 0;
  int64_t sample = 0;
  int64_t response = 0;  // this completion's number in the critique's prompt ("Response N", compact "RN:")
  double score = 0;      // the score the critique gave this completion; NaN when its scores did not parse
  double meta_score = 0;
  bool voted = false;
  std::string text;
};

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
  std::vector<RolloutCritique> critiques;
  std::vector<std::pair<std::string, std::string>> info;  // external reward name, its info as JSON text
};

// The record as one JSON object, without the newline. Invalid UTF-8 in the texts is replaced (U+FFFD), so the
// line always parses.
std::string to_json_line(const RolloutRecord& record);

// Parses one line written by to_json_line(). Throws spct::InputError with `where` (file and line) prefixed when
// the line is not such an object.
RolloutRecord parse_json_line(const std::string& line, const std::string& where);

}  // namespace spct::observe
