// Rewards computed outside the spct process, named in reward.functions as
//   NAME=command:PROGRAM ARGS...[;option=value...]   a long-lived subprocess speaking JSON lines (command_reward.h)
//   NAME=http:URL[;option=value...]                  a JSON endpoint in OpenRLHF's --remote_rm_url shape
//   (http_reward.h)
//   NAME=scalar:MODEL_DIR                            a scalar reward model in this process (scalar_rm/
//                                                    scalar_reward.h; the reward worker builds it, since it
//                                                    needs tensors and this library does not)
// Each scores a whole group in one exchange. docs/rewards.md documents the protocols and the failure policy.
//
// Failure policy (applied by RewardWorker): an exchange that fails or passes its deadline throws RewardFailure;
// the group is then scored again up to `retries` more times, and after that dropped: it is not trained on and is
// counted in the step metric reward/dropped_groups. It is never scored 0 in its place. Once more than
// `max_dropped_share` of the groups this worker has scored (plus one group of grace) were dropped, the run fails.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace spct::reward {

// One group, as sent to an external reward.
struct ExternalGroup {
  std::string_view prompt;  // as rendered for the policy
  const std::vector<std::string>* completions = nullptr;
  std::string_view answer;  // the dataset's reference answer, possibly empty
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  std::vector<int64_t> completion_tokens;  // per completion
  std::vector<bool> truncated;             // per completion: generation hit rollout.max_new_tokens
};

// An exchange with an external reward failed (it died, passed its deadline, or answered something unusable);
// the message says which reward and what happened. The failure policy above decides what follows.
class RewardFailure : public Error {
 public:
  explicit RewardFailure(const std::string& message) : Error(ExitCode::kFailure, message) {}
};

// The options every external reward takes after its spec, as `;key=value`.
struct ExternalOptions {
  double timeout_s = 30;           // deadline of one exchange (one group)
  int64_t retries = 2;             // further attempts at a failed group before it is dropped
  double max_dropped_share = 0.1;  // of the groups scored: beyond it (plus one group) the run fails
  int64_t max_restarts = 5;        // command: restarts in a row without an answer before every group fails
  int64_t concurrency = 4;         // http: requests in flight at once from this worker
};

// A parsed reward.functions entry of an external reward.
struct ExternalSpec {
  std::string name;    // NAME: the breakdown and metric name
  std::string kind;    // "command", "http" or "scalar"
  std::string target;  // the command line, the URL or the model directory
  ExternalOptions options;
};

// Parses `entry` when it has the NAME=KIND:TARGET shape, std::nullopt otherwise (a rule name). Throws
// spct::UsageError naming reward.functions and the entry for an unknown kind, an empty name or target, or an
// unknown or out-of-range option.
std::optional<ExternalSpec> parse_external_spec(std::string_view entry);

// What an external reward answered for one group.
struct ExternalScores {
  std::vector<double> scores;     // one per completion, in order
  std::vector<std::string> info;  // its optional "info": one compact JSON text per completion; empty when absent
};

class ExternalReward {
 public:
  virtual ~ExternalReward() = default;
  // The scores (and info) of `group`'s completions. Throws RewardFailure; safe to call from several threads.
  virtual ExternalScores score(const ExternalGroup& group) = 0;
};

// Builds the reward `spec` names (the command is started now). Throws spct::UsageError for an unusable target
// and for kind scalar (RewardWorker builds that one).
std::unique_ptr<ExternalReward> make_external_reward(const ExternalSpec& spec);

}  // namespace spct::reward
