// The messages spct's roles exchange, as plain structs. codec.h turns them into bytes and back; the
// communicator (core/comm/communicator.h) sends them point to point, tagged with their MessageType.
//
// The per-step protocol. Ranks are named by role (core/comm/layout.h); "learners" means every learner rank.
// One training step s with policy version v (the version the rollout workers hold):
//  1. The orchestrator splits the step's prompts over the rollout workers and sends each a PromptBatch
//     {step s, policy_version v, items}. A worker with nothing to do this step gets an empty batch.
//  2. Each rollout worker samples item.group_size completions per item with the weights of version v only
//     (weight_sync.h swaps versions between groups, never inside one) and sends one GeneratedGroup per item
//     back to the orchestrator, in any order, each carrying the version that generated it.
//  3. As groups arrive, the orchestrator sends each to a reward worker as a RewardRequest (the group, the
//     prompt text and the reference answer), spreading groups round-robin.
//  4. Each reward worker answers every request with one RewardResult {prompt_id, one reward per completion,
//     the per-function breakdown, metrics}.
//  5. When every group of the step has its RewardResult, the orchestrator splits the groups evenly over the
//     learners and sends learner i a PromptBatch {s, v, the items of its groups} announcing its share, then for
//     each of those groups the GeneratedGroup followed by its RewardResult. Learners compute the advantages of
//     a group from its rewards.
//  6. The learners run the update; gradients are averaged across them with GradSync (grad_sync.h).
//  7. Learner 0 publishes the new weights as version v+1 to every rollout worker (WeightPublisher, a bucketed
//     broadcast over the weight-sync communicator of world.h) and sends the orchestrator Control {kStepDone, s}.
//     Each rollout worker, once its groups of step s are sent, receives version v+1 (WeightReceiver) and swaps
//     it in before it starts step s+1.
//  8. Every rank joins one all-reduce (max) of its stop request (core/stop_signal.h), so all agree on the step at
//     which a signalled job stops. When a checkpoint is due the orchestrator sends the learners Control
//     {kCheckpoint, n} (n = steps completed): learner 0 writes its state into the checkpoint's staging
//     directory and every learner answers with the same Control. Control {kShutdown, n} to every rank ends the
//     job after n completed steps (fewer than run.steps when it stopped on a signal: exit code 75).
// Asynchronous mode (rollout.mode async) sends the same messages in another order: the learners get their
// shares of step s (5) before steps 1-4 run for step s+1, whose groups therefore carry {step s+1, version v};
// the end-of-step markers follow, then 6-8 as above (orchestrator/train/mpi_backend.h).
// Every receive in these steps waits at most timeouts.step_s; a rank that misses it is named and the job is
// aborted (core/comm/stall_detector.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace spct::protocol {

// The wire value of each type is fixed forever (it is also the MPI tag); add new types at the end.
enum class MessageType : uint16_t {
  kPromptBatch = 1,
  kGeneratedGroup = 2,
  kRewardRequest = 3,
  kRewardResult = 4,
  kControl = 5,
  kStepReport = 6,
};

// "PromptBatch", "GeneratedGroup", ...; "message type 9" for a value no build knows.
std::string message_type_name(MessageType type);

struct PromptItem {
  uint64_t prompt_id = 0;
  std::vector<int32_t> prompt_tokens;
  std::string answer;  // the reference answer rule rewards compare with; may be empty
  uint32_t group_size = 0;
};

struct PromptBatch {
  uint64_t step = 0;
  uint64_t policy_version = 0;
  std::vector<PromptItem> items;
};

// Why a completion ended.
enum class FinishReason : uint8_t {
  kStop = 0,    // an end-of-sequence token or a stop string
  kLength = 1,  // rollout.max_new_tokens reached (truncated)
};

struct Completion {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;  // behaviour policy log-probability of each token; same length as tokens
  FinishReason finish_reason = FinishReason::kStop;
};

struct GeneratedGroup {
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  uint64_t policy_version = 0;  // the version whose weights generated every completion of the group
  std::vector<Completion> completions;
};

struct RewardRequest {
  GeneratedGroup group;
  std::string prompt_text;
  std::string answer;
};

// One reward function's contribution, before weighting; values has one entry per completion.
struct RewardComponent {
  std::string name;
  std::vector<double> values;
};

struct RewardResult {
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  std::vector<double> rewards;  // the combined reward of each completion, in the group's order
  std::vector<RewardComponent> breakdown;
  std::vector<std::pair<std::string, double>> metrics;  // e.g. {"grm.parse_failures", 1}
};

struct Control {
  enum class Kind : uint8_t {
    kStop = 0,        // reserved: stops are agreed by the all-reduce of step 8
    kCheckpoint = 1,  // write the checkpoint of `step` completed steps; answered with the same Control
    kShutdown = 2,    // leave the loop now; `step` = steps the run completed
    kStepDone = 3,    // a learner finished step `step` and the new weights are published
    kBeginStep = 4,   // step `step` starts: workers and learners enter their part of it
  };
  Kind kind = Kind::kStop;
  uint64_t step = 0;
};

// A learner's answer once its update of `step` is done (and, for learner 0, the weights are published).
struct StepReport {
  uint64_t step = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::string weights_digest;  // SHA-256 of the learner's weights when run.verify_learner_sync, else empty
};

using Message = std::variant<PromptBatch, GeneratedGroup, RewardRequest, RewardResult, Control, StepReport>;

MessageType type_of(const Message& message);

}  // namespace spct::protocol
