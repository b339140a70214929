#include "orchestrator/train/mpi_backend.h"

#include <algorithm>
#include <deque>
#include <map>

#include "core/comm/rank_state.h"
#include "core/error.h"

namespace spct::train {
namespace {

// A reward worker holds at most this many unanswered requests: enough to hide the message latency, few enough
// that the orchestrator can still send the next request to whichever worker frees up first.
constexpr int kRequestsInFlight = 4;

protocol::Control control(protocol::Control::Kind kind, uint64_t step) {
  protocol::Control message;
  message.kind = kind;
  message.step = step;
  return message;
}

// A learner trains on the numbers; the critiques and info are for the rollout log, written here.
protocol::RewardResult without_notes(const protocol::RewardResult& result) {
  protocol::RewardResult numbers;
  numbers.step = result.step;
  numbers.prompt_id = result.prompt_id;
  numbers.rewards = result.rewards;
  numbers.breakdown = result.breakdown;
  numbers.metrics = result.metrics;
  return numbers;
}

}  // namespace

MpiBackend::MpiBackend(comm::World& world, const config::Config& config)
    : world_(world),
      comm_(world.world()),
      rollout_ranks_(world.layout().ranks_of(comm::Role::kRollout)),
      reward_ranks_(world.layout().ranks_of(comm::Role::kReward)),
      learner_ranks_(world.layout().ranks_of(comm::Role::kLearner)),
      verify_learner_sync_(config.run.verify_learner_sync) {}

void MpiBackend::send_to_all_workers(const protocol::Message& message) {
  for (int rank = 1; rank < comm_.size(); ++rank) comm_.send(rank, message);
  comm_.flush();
}

void MpiBackend::begin_step(uint64_t step) {
  send_to_all_workers(control(protocol::Control::Kind::kBeginStep, step));
}

std::vector<protocol::GeneratedGroup> MpiBackend::generate(const protocol::PromptBatch& batch) {
  comm::PhaseScope phase(world_.state(), "generate");
  // Chunks small enough that every worker gets at least two, so the queue can even out uneven speeds.
  const std::size_t workers = rollout_ranks_.size();
  const std::size_t chunk = std::max<std::size_t>(1, batch.items.size() / (2 * workers));
  std::deque<protocol::PromptBatch> queue;
  for (std::size_t first = 0; first < batch.items.size(); first += chunk) {
    protocol::PromptBatch piece{batch.step, batch.policy_version, {}};
    const std::size_t last = std::min(batch.items.size(), first + chunk);
    piece.items.assign(batch.items.begin() + static_cast<std::ptrdiff_t>(first),
                       batch.items.begin() + static_cast<std::ptrdiff_t>(last));
    queue.push_back(std::move(piece));
  }
  std::map<int, std::deque<std::size_t>> in_flight;  // rank -> sizes of the chunks it holds, oldest first
  const auto dispatch = [&](int rank) {
    comm_.send(rank, queue.front());
    in_flight[rank].push_back(queue.front().items.size());
    queue.pop_front();
  };
  for (int round = 0; round < 2; ++round) {
    for (const int rank : rollout_ranks_) {
      if (!queue.empty()) dispatch(rank);
    }
  }
  comm_.flush();

  std::map<uint64_t, protocol::GeneratedGroup> by_prompt;
  while (by_prompt.size() < batch.items.size()) {
    auto [source, group] = comm_.recv_as<protocol::GeneratedGroup>(comm::kAnySource);
    const int rank = comm_.world_rank_of(source);
    by_prompt[group.prompt_id] = std::move(group);
    std::deque<std::size_t>& held = in_flight[rank];
    if (held.empty())
      throw Error(ExitCode::kRankFailed, world_.layout().describe(rank) + " sent a group it was not asked for");
    if (--held.front() == 0) {
      held.pop_front();
      if (!queue.empty()) {
        dispatch(rank);
        comm_.flush();
      }
    }
  }
  std::vector<protocol::GeneratedGroup> groups;
  groups.reserve(batch.items.size());
  for (const protocol::PromptItem& item : batch.items) {
    auto found = by_prompt.find(item.prompt_id);
    if (found == by_prompt.end()) {
      throw Error(ExitCode::kRankFailed, "no group came back for prompt " + std::to_string(item.prompt_id));
    }
    groups.push_back(std::move(found->second));
  }
  return groups;
}

std::vector<protocol::RewardResult> MpiBackend::score(const std::vector<protocol::RewardRequest>& requests) {
  comm::PhaseScope phase(world_.state(), "reward");
  std::map<int, int> outstanding;
  for (const int rank : reward_ranks_) outstanding[rank] = 0;
  std::size_t next = 0;
  const auto dispatch_all_possible = [&] {
    while (next < requests.size()) {
      const auto least = std::min_element(outstanding.begin(), outstanding.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
      if (least->second >= kRequestsInFlight) break;
      comm_.send(least->first, requests[next++]);
      ++least->second;
    }
    comm_.flush();
  };
  dispatch_all_possible();
  std::map<uint64_t, protocol::RewardResult> by_prompt;
  while (by_prompt.size() < requests.size()) {
    auto [source, result] = comm_.recv_as<protocol::RewardResult>(comm::kAnySource);
    --outstanding[comm_.world_rank_of(source)];
    by_prompt[result.prompt_id] = std::move(result);
    dispatch_all_possible();
  }
  std::vector<protocol::RewardResult> results;
  results.reserve(requests.size());
  for (const protocol::RewardRequest& request : requests) results.push_back(std::move(by_prompt.at(request.prompt_id)));
  return results;
}

void MpiBackend::start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                                const std::vector<protocol::RewardResult>& results) {
  comm::PhaseScope phase(world_.state(), "train");
  learning_step_ = batch.step;
  // Step 5: every learner gets its share of whole groups.
  const std::size_t per_learner = groups.size() / learner_ranks_.size();
  for (std::size_t l = 0; l < learner_ranks_.size(); ++l) {
    protocol::PromptBatch share{batch.step, batch.policy_version, {}};
    for (std::size_t g = l * per_learner; g < (l + 1) * per_learner; ++g) share.items.push_back(batch.items[g]);
    comm_.send(learner_ranks_[l], share);
    for (std::size_t g = l * per_learner; g < (l + 1) * per_learner; ++g) {
      comm_.send(learner_ranks_[l], groups[g]);
      comm_.send(learner_ranks_[l], without_notes(results[g]));
    }
  }
  comm_.flush();
}

Metrics MpiBackend::finish_learning(PhaseTimes& times) {
  comm::PhaseScope phase(world_.state(), "train");
  // Step 6: end generation and scoring; the rollout workers then take the new weights.
  for (const int rank : rollout_ranks_)
    comm_.send(rank, control(protocol::Control::Kind::kEndGeneration, learning_step_));
  for (const int rank : reward_ranks_) comm_.send(rank, control(protocol::Control::Kind::kEndScoring, learning_step_));
  comm_.flush();

  // Step 7: every learner reports once the update is done and the weights are published.
  Metrics metrics;
  std::map<int, std::string> digests;
  for (std::size_t l = 0; l < learner_ranks_.size(); ++l) {
    auto [source, report] = comm_.recv_as<protocol::StepReport>(comm::kAnySource);
    const int rank = comm_.world_rank_of(source);
    digests[rank] = report.weights_digest;
    if (rank == learner_ranks_.front()) {
      for (const auto& [name, value] : report.metrics) metrics[name] = value;
    }
  }
  if (verify_learner_sync_) {
    for (const auto& [rank, digest] : digests) {
      if (digest != digests.begin()->second) {
        throw Error(ExitCode::kFailure, "learner weights diverged after step " + std::to_string(learning_step_) + ": " +
                                            world_.layout().describe(rank) + " differs from " +
                                            world_.layout().describe(digests.begin()->first));
      }
    }
    metrics["learner/weights_in_sync"] = 1;
  }
  // Learner 0 timed its update and its weight broadcast.
  times.learn = metrics.count("time/update_s") ? metrics["time/update_s"] : 0.0;
  times.sync = metrics.count("time/publish_s") ? metrics["time/publish_s"] : 0.0;
  metrics.erase("time/update_s");
  metrics.erase("time/publish_s");
  return metrics;
}

bool MpiBackend::agree_to_stop(bool requested) {
  comm::PhaseScope phase(world_.state(), "agree on stop");
  int32_t flag = requested ? 1 : 0;
  comm_.all_reduce(&flag, 1, comm::DataType::kInt32, comm::ReduceOp::kMax);
  return flag != 0;
}

void MpiBackend::write_checkpoint(uint64_t step, const std::filesystem::path&) {
  // The learners derive the staging directory from the config (resume.h: checkpoint_store_of), as this rank did.
  comm::PhaseScope phase(world_.state(), "checkpoint");
  for (const int rank : learner_ranks_) comm_.send(rank, control(protocol::Control::Kind::kCheckpoint, step));
  comm_.flush();
  for (const int rank : learner_ranks_) {
    const protocol::Control answer = comm_.recv_as<protocol::Control>(rank).second;
    if (answer.kind != protocol::Control::Kind::kCheckpoint || answer.step != step) {
      throw Error(ExitCode::kFailure, "learner rank " + std::to_string(rank) + " answered the checkpoint of step " +
                                          std::to_string(step) + " out of turn");
    }
  }
}

void MpiBackend::shutdown(uint64_t steps_completed) {
  send_to_all_workers(control(protocol::Control::Kind::kShutdown, steps_completed));
}

}  // namespace spct::train
