#include "orchestrator/train/mpi_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
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

// The work queue of step 1: `batch` cut into chunks small enough that every worker gets at least two, so the
// queue can even out uneven speeds; each worker holds two and gets the next one when it has answered every group
// of its oldest.
class ChunkQueue {
 public:
  ChunkQueue(comm::MpiCommunicator& comm, const comm::RankLayout& layout, const protocol::PromptBatch& batch,
             const std::vector<int>& workers)
      : comm_(comm), layout_(layout) {
    const std::size_t chunk = std::max<std::size_t>(1, batch.items.size() / (2 * workers.size()));
    for (std::size_t first = 0; first < batch.items.size(); first += chunk) {
      protocol::PromptBatch piece{batch.step, batch.policy_version, {}, 0, {}};
      const std::size_t last = std::min(batch.items.size(), first + chunk);
      piece.items.assign(batch.items.begin() + static_cast<std::ptrdiff_t>(first),
                         batch.items.begin() + static_cast<std::ptrdiff_t>(last));
      if (!batch.prompt_texts.empty()) {
        piece.prompt_texts.assign(batch.prompt_texts.begin() + static_cast<std::ptrdiff_t>(first),
                                  batch.prompt_texts.begin() + static_cast<std::ptrdiff_t>(last));
      }
      queue_.push_back(std::move(piece));
    }
    workers_ = workers;
  }

  // Gives each chunk's requests to a reward worker, in turn: chunk k goes to reward worker (k + k / W) mod R (W
  // rollout workers, R reward workers). The chunks are of one size (but the last), so the reward workers' shares
  // differ by at most a chunk; the shift by one each round of W chunks spreads every rollout worker's chunks over
  // the reward workers (a rollout worker takes chunks k and k + W first), so none idles while another queues.
  void route_to(const std::vector<int>& reward_ranks) {
    for (std::size_t k = 0; k < queue_.size(); ++k) {
      queue_[k].reward_rank = reward_ranks[(k + k / workers_.size()) % reward_ranks.size()];
    }
  }

  // Sends every worker its first two chunks.
  void start() {
    for (int round = 0; round < 2; ++round) {
      for (const int rank : workers_) {
        if (!queue_.empty()) dispatch(rank);
      }
    }
    comm_.flush();
  }

  // Counts one group (or its summary) from `rank`; sends it its next chunk once it answered its oldest.
  void answered(int rank) {
    std::deque<std::size_t>& held = in_flight_[rank];
    if (held.empty()) throw Error(ExitCode::kRankFailed, layout_.describe(rank) + " sent a group it was not asked for");
    if (--held.front() == 0) {
      held.pop_front();
      if (!queue_.empty()) {
        dispatch(rank);
        comm_.flush();
      }
    }
  }

 private:
  void dispatch(int rank) {
    comm_.send(rank, queue_.front());
    in_flight_[rank].push_back(queue_.front().items.size());
    queue_.pop_front();
  }

  comm::MpiCommunicator& comm_;
  const comm::RankLayout& layout_;
  std::vector<int> workers_;
  std::deque<protocol::PromptBatch> queue_;
  std::map<int, std::deque<std::size_t>> in_flight_;  // rank -> sizes of the chunks it holds, oldest first
};

// The entries of `by_prompt` for `asked` (items or requests, each with its prompt_id), in that order; a missing one
// means a worker skipped a prompt.
template <class T, class Asked>
std::vector<T> in_item_order(const std::vector<Asked>& asked, std::map<uint64_t, T>& by_prompt, const char* what) {
  std::vector<T> out;
  out.reserve(asked.size());
  for (const Asked& one : asked) {
    auto found = by_prompt.find(one.prompt_id);
    if (found == by_prompt.end()) {
      throw Error(ExitCode::kRankFailed, fmt::format("no {} came back for prompt {}", what, one.prompt_id));
    }
    out.push_back(std::move(found->second));
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  ChunkQueue queue(comm_, world_.layout(), batch, rollout_ranks_);
  queue.start();
  std::map<uint64_t, protocol::GeneratedGroup> by_prompt;
  while (by_prompt.size() < batch.items.size()) {
    auto [source, group] = comm_.recv_as<protocol::GeneratedGroup>(comm::kAnySource);
    queue.answered(comm_.world_rank_of(source));
    by_prompt[group.prompt_id] = std::move(group);
  }
  return in_item_order(batch.items, by_prompt, "group");
}

SampledGroups MpiBackend::sample_direct(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                                        PhaseTimes& times) {
  comm::PhaseScope phase(world_.state(), "generate");
  const auto start = std::chrono::steady_clock::now();
  protocol::PromptBatch routed = batch;
  routed.prompt_texts = texts;
  ChunkQueue queue(comm_, world_.layout(), routed, rollout_ranks_);
  queue.route_to(reward_ranks_);
  queue.start();
  // First the summaries (they pace the work queue), then the results; each by its tag, so that in asynchronous
  // mode a learner's StepReport of the step before waits for finish_learning(). A reward worker does not wait
  // for this rank to take its results (role_loops.cpp): it scores on meanwhile.
  std::map<uint64_t, protocol::GroupSummary> summaries;
  std::map<uint64_t, int> holders;
  while (summaries.size() < batch.items.size()) {
    auto [source, summary] = comm_.recv_as<protocol::GroupSummary>(comm::kAnySource);
    const int rank = comm_.world_rank_of(source);
    queue.answered(rank);
    holders[summary.prompt_id] = rank;
    summaries[summary.prompt_id] = std::move(summary);
  }
  const double generated = seconds_since(start);
  times.generate += generated;
  comm::PhaseScope rewards(world_.state(), "reward");
  std::map<uint64_t, protocol::RewardResult> results;
  while (results.size() < batch.items.size()) {
    protocol::RewardResult result = comm_.recv_as<protocol::RewardResult>(comm::kAnySource).second;
    results[result.prompt_id] = std::move(result);
  }
  times.reward += seconds_since(start) - generated;
  SampledGroups sampled;
  sampled.summaries = in_item_order(batch.items, summaries, "group summary");
  sampled.results = in_item_order(batch.items, results, "reward result");
  for (const protocol::GroupSummary& summary : sampled.summaries) {
    sampled.groups.push_back({summary.step, summary.prompt_id, summary.policy_version, {}});
    sampled.holders.push_back(holders.at(summary.prompt_id));
    keepers_[batch.step].insert(sampled.holders.back());
  }
  return sampled;
}

void MpiBackend::fetch_groups(std::vector<protocol::GeneratedGroup>& groups, std::vector<int>& holders) {
  comm::PhaseScope phase(world_.state(), "fetch groups");
  std::map<int, protocol::ForwardList> lists;
  std::map<uint64_t, std::size_t> index;  // prompt id -> position in groups
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (holders[i] == 0) continue;
    protocol::ForwardList& list = lists[holders[i]];
    list.step = groups[i].step;
    list.prompt_ids.push_back(groups[i].prompt_id);
    list.destinations.push_back(0);
    index[groups[i].prompt_id] = i;
  }
  if (!index.empty()) keepers_.erase(groups.front().step);  // the groups are of one step, and none is kept now
  for (const auto& [rank, list] : lists) comm_.send(rank, list);
  comm_.flush();
  for (std::size_t received = 0; received < index.size(); ++received) {
    auto [source, group] = comm_.recv_as<protocol::GeneratedGroup>(comm::kAnySource);
    const int rank = comm_.world_rank_of(source);
    const auto found = index.find(group.prompt_id);
    if (found == index.end() || holders[found->second] != rank) {
      throw Error(ExitCode::kRankFailed, fmt::format("protocol error: {} sent the group of prompt {}, which it was not "
                                                     "asked for",
                                                     world_.layout().describe(rank), group.prompt_id));
    }
    groups[found->second] = std::move(group);
    holders[found->second] = 0;
  }
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
  return in_item_order(requests, by_prompt, "reward result");
}

void MpiBackend::start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                                const std::vector<protocol::RewardResult>& results, const std::vector<int>& holders) {
  comm::PhaseScope phase(world_.state(), "train");
  learning_step_ = batch.step;
  const std::size_t per_learner = groups.size() / learner_ranks_.size();
  // Step 5: the groups the rollout workers keep go from there to their learners (every worker that keeps any
  // of the step gets a list, which drops the rest), the others from here with their shares.
  std::map<int, protocol::ForwardList> lists;
  for (const int rank : keepers_[batch.step]) lists[rank].step = batch.step;
  keepers_.erase(batch.step);
  for (std::size_t g = 0; g < per_learner * learner_ranks_.size(); ++g) {
    if (holders[g] == 0) continue;
    protocol::ForwardList& list = lists[holders[g]];
    list.step = batch.step;
    list.prompt_ids.push_back(groups[g].prompt_id);
    list.destinations.push_back(learner_ranks_[g / per_learner]);
  }
  for (const auto& [rank, list] : lists) comm_.send(rank, list);
  for (std::size_t l = 0; l < learner_ranks_.size(); ++l) {
    protocol::PromptBatch share{batch.step, batch.policy_version, {}, 0, {}};
    for (std::size_t g = l * per_learner; g < (l + 1) * per_learner; ++g) share.items.push_back(batch.items[g]);
    comm_.send(learner_ranks_[l], share);
    for (std::size_t g = l * per_learner; g < (l + 1) * per_learner; ++g) {
      if (holders[g] == 0) comm_.send(learner_ranks_[l], groups[g]);
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
