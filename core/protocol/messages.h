// The messages spct's roles exchange, as plain structs. codec.h turns them into bytes and back; the
// communicator (core/comm/communicator.h) sends them point to point, tagged with their MessageType.
//
// The per-step protocol, written down only here (the orchestrator's side: orchestrator/train/mpi_backend.cpp; the
// other roles: orchestrator/train/role_loops.cpp). Roles as in core/comm/layout.h; the orchestrator is rank 0.
// Every phase and the run end on an explicit Control kind, never on an implicit signal (an empty message, a
// count reached, a silence); anything else arriving where a marker is due is a protocol error naming both.
// One training step s, with v the policy version the rollout workers hold:
//  0. Control {kBeginStep, s} to every other rank. Between steps the others wait for a Control from rank 0:
//     kBeginStep starts step s, kShutdown ends the job, kCheckpoint (learners only, see 8) and a ForwardList
//     (rollout workers only, see 8) are answered and they wait on.
//  1. A work queue: the step's prompts are cut into chunks (at least two per rollout worker), each a PromptBatch
//     {s, v, items, route} with at least one item; every worker gets two, and the next one each time it has
//     answered every group of its oldest. The route says where the payloads go: on a step whose groups rank 0
//     needs (a rollout-log step, observe.rollout_log_every) every chunk has reward_rank 0, the route via rank 0
//     (2a-4a); on the others each chunk names a reward worker, reward_rank (chunk k of the step's queue:
//     reward worker (k + k / W) mod R), and carries its prompt texts, the direct route (2b-4b) that keeps the
//     payloads off rank 0.
//  2. A rollout worker generates each chunk's groups, group_size completions per item with their log-probs, all
//     from one version (weights are swapped only between steps, weight_sync.h), and answers in any order:
//     2a. via rank 0: one GeneratedGroup per item to rank 0.
//     2b. direct: per item a RewardRequest (3) straight to the chunk's reward worker, then a GroupSummary
//         {s, prompt id, version, each completion's length and finish reason} to rank 0; it keeps the group.
//  3. A RewardRequest is {step, prompt id, each completion's tokens and finish reason, prompt text, reference
//     answer}: no log-probs and no policy version, rewards never read them.
//     3a. via rank 0: rank 0 sends it to the reward worker with the fewest unanswered requests (at most 4
//         each), once the group is back.
//     3b. direct: from the rollout worker, as in 2b; rank 0 takes every summary of the round, then every result.
//  4. A reward worker takes requests from any rank, scores those queued together and sends rank 0 one
//     RewardResult {prompt_id, a reward per completion, per-function breakdown, metrics} per request. Dynamic
//     sampling (grpo.dynamic_sampling) repeats 1-4 within the step.
//  5. Learner i gets a PromptBatch {s, v, items of its equal share of whole groups} from rank 0, then per item
//     its RewardResult from rank 0 and its GeneratedGroup: from rank 0 when rank 0 holds it (5a), else from the
//     rollout worker that keeps it (5b). The learner matches groups by prompt id, in any order. For 5b rank 0
//     first sends every rollout worker that keeps groups of step s a ForwardList {s, prompt id -> learner rank}:
//     the worker sends each listed group to its learner and drops its other groups of step s (untrained ones).
//     The share is a count, not a marker: every learner gets one, and one with no items (no group was usable)
//     means nothing follows and every learner skips the update.
//  6. End markers: every rollout worker gets Control {kEndGeneration, s}, every reward worker Control
//     {kEndScoring, s}, after the last chunk, ForwardList or request rank 0 sends it in the step. A rollout
//     worker takes its next message from rank 0 whatever its type (Communicator::recv_next), so it meets the
//     marker after every piece of work rank 0 sent before it (MPI's non-overtaking rule). A reward worker takes
//     its next message from any rank; rank 0 sends its marker only once every result of the step is in, so no
//     request of the step can follow it (and none of the next step precedes it: those follow the stop agreement
//     of 8). A worker with nothing to do gets its marker and no work.
//  7. The learners update (gradients averaged by GradSync, grad_sync.h); learner 0 publishes the weights to the
//     rollout workers as version s+2 (1 is the warm start; a bucketed broadcast on the weight-sync communicator,
//     WeightPublisher), then every learner sends rank 0 a StepReport {s, metrics, weights digest}: the report is
//     the learner's end of step. A rollout worker receives the version after its end marker and swaps it in
//     before step s+1.
//  8. Every rank joins one all-reduce (max) of its stop request (core/stop_signal.h). When a checkpoint is due
//     the learners get Control {kCheckpoint, n} (n = steps done) while waiting as in 0: learner 0 writes its state
//     into the staging directory, every learner answers with the same Control. In asynchronous mode the
//     checkpoint saves the next step's groups (pending_batch.h): first every rollout worker that keeps some gets
//     a ForwardList naming rank 0 while it waits as in 0, and sends them there. Control {kShutdown, n} to every
//     other rank ends the job after n steps (fewer than run.steps after a signal: exit code 75).
// Asynchronous mode (rollout.mode async): after 5, steps 1-4 run for step s+1 (from version v: the workers swap
// after 6), then 6-8 for step s; the markers of 6 then follow step s+1's work and carry s, and the groups of s+1
// wait with their rollout workers for step s+1's 5. Every receive waits at most timeouts.step_s; a rank that
// misses it is named and the job aborted with exit 4 (core/comm/stall_detector.h). A message that fails its
// checks (codec.h) aborts the job with exit 4, naming the receiving rank, its role and phase, the sender and the
// message. When mpirun ends a job first (a lost host), each rank says what it was waiting for
// (core/whereabouts.h).
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
  kGroupSummary = 7,
  kForwardList = 8,
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
  // How a rollout worker routes a chunk's groups (step 2): 0, every group goes back to the orchestrator; a
  // reward worker's rank, each group's RewardRequest goes straight to it (its prompt text is prompt_texts[i]) and
  // the orchestrator gets a GroupSummary while the worker keeps the group for a ForwardList. 0 and empty in a
  // learner's share.
  int32_t reward_rank = 0;
  std::vector<std::string> prompt_texts;
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

// What the orchestrator reads of a group that stays with its rollout worker: the step's metrics (lengths,
// truncations, version lag) and the batch decisions need no tokens.
struct CompletionSummary {
  uint32_t tokens = 0;  // the completion's length
  FinishReason finish_reason = FinishReason::kStop;
};

struct GroupSummary {
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  uint64_t policy_version = 0;
  std::vector<CompletionSummary> completions;  // in the group's order
};

GroupSummary summary_of(const GeneratedGroup& group);

// Where the groups of `step` that a rollout worker keeps go (step 5): each listed group to its rank (a learner,
// or the orchestrator when a checkpoint must save it); a group of the step that is not listed is dropped.
struct ForwardList {
  uint64_t step = 0;
  std::vector<uint64_t> prompt_ids;
  std::vector<int32_t> destinations;  // destinations[i]: the world rank that gets the group of prompt_ids[i]
};

// A completion as a reward worker reads it: the rewards see its text and whether it was cut at the length limit,
// never its log-probs (4 bytes a token: as many bytes as the tokens themselves).
struct ScoredCompletion {
  std::vector<int32_t> tokens;
  FinishReason finish_reason = FinishReason::kStop;
};

struct RewardRequest {
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  std::vector<ScoredCompletion> completions;  // in the group's order
  std::string prompt_text;
  std::string answer;
};

// The request that asks for `group`'s rewards: its completions without their log-probs.
RewardRequest reward_request_for(const GeneratedGroup& group, std::string prompt_text, std::string answer);

// One reward function's contribution, before weighting; values has one entry per completion.
struct RewardComponent {
  std::string name;
  std::vector<double> values;
};

// One critique the GRM wrote about a group (workers/reward/grm/group_scorer.h: CritiqueRecord), for the rollout log.
struct GrmCritique {
  uint32_t chunk = 0;           // the chunk of the group it scored (grm.max_responses_per_pass)
  uint32_t sample = 0;          // which of the chunk's grm.samples critiques
  std::vector<uint32_t> order;  // order[p]: the group index of the response its prompt shows as number p+1
  std::vector<int32_t> scores;  // the score it gave each position of `order`; empty when its scores did not parse
  double meta_score = 0;        // the meta RM's rating of it; 0 without a meta RM
  bool voted = false;           // its scores counted in the group's vote
  std::string text;             // the principles and critique, cut to the configured bound (with a marker)
};

// One external reward's per-completion `info` (docs/rewards.md), for the rollout log.
struct RewardInfo {
  std::string name;                 // the reward's NAME
  std::vector<std::string> values;  // per completion: its info as compact JSON, cut to the bound; "" when none
};

struct RewardResult {
  uint64_t step = 0;
  uint64_t prompt_id = 0;
  std::vector<double> rewards;  // the combined reward of each completion, in the group's order
  std::vector<RewardComponent> breakdown;
  std::vector<std::pair<std::string, double>> metrics;  // e.g. {"grm.parse_failures", 1}
  // What the rewards said beyond their scores, only on the steps the rollout log records (observe.rollout_log_*
  // keys bound their sizes): the GRM's critiques of the group, and each external reward's info that has any.
  std::vector<GrmCritique> critiques;
  std::vector<RewardInfo> info;
};

struct Control {
  enum class Kind : uint8_t {
    kStop = 0,           // reserved, never sent: stops are agreed by the all-reduce of step 8
    kCheckpoint = 1,     // write the checkpoint of `step` completed steps; answered with the same Control
    kShutdown = 2,       // leave the loop now; `step` = steps the run completed
    kStepDone = 3,       // reserved, never sent: learners end their step with a StepReport (step 7)
    kBeginStep = 4,      // step `step` starts: workers and learners enter their part of it
    kEndGeneration = 5,  // to a rollout worker: no more chunks in step `step` (step 6)
    kEndScoring = 6,     // to a reward worker: no more requests in step `step` (step 6)
  };
  static constexpr Kind kLastKind = Kind::kEndScoring;
  Kind kind = Kind::kStop;
  uint64_t step = 0;
};

// A learner's answer once its update of `step` is done (and, for learner 0, the weights are published).
struct StepReport {
  uint64_t step = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::string weights_digest;  // SHA-256 of the learner's weights when run.verify_learner_sync, else empty
};

// "Control {kEndScoring, step 3}": how errors name a control message.
std::string describe(const Control& control);

using Message = std::variant<PromptBatch, GeneratedGroup, RewardRequest, RewardResult, Control, StepReport,
                             GroupSummary, ForwardList>;

MessageType type_of(const Message& message);

}  // namespace spct::protocol
