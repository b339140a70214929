#include "orchestrator/train/role_loops.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "distributed/weight_sync.h"
#include "learner/grpo_learner.h"
#include "learner/learner_checkpoint.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/resume.h"
#include "orchestrator/train/warm_start.h"
#include "workers/reward/reward_worker.h"
#include "workers/rollout/rollout_worker.h"

namespace spct::train {
namespace {

constexpr int kOrchestrator = 0;

// "a PromptBatch", "Control {kShutdown, step 2}": what arrived, for protocol errors.
std::string what_arrived(const protocol::Message& message) {
  if (const auto* control = std::get_if<protocol::Control>(&message)) return protocol::describe(*control);
  return "a " + protocol::message_type_name(protocol::type_of(message));
}

// Waits for the orchestrator's next Control: kBeginStep sets `step` and returns true; kShutdown sets `step` to
// the steps the run completed and returns false; kCheckpoint (learners only) runs `on_checkpoint` and waits on.
// A ForwardList (rollout workers only: a checkpoint fetches the groups they keep) runs `on_forward` and waits on.
bool next_step(comm::World& world, uint64_t& step, const std::function<void(uint64_t)>& on_checkpoint = {},
               const std::function<void(const protocol::ForwardList&)>& on_forward = {}) {
  while (true) {
    comm::PhaseScope phase(world.state(), "wait for step");
    comm::ReceivedMessage next = world.world().recv_next(kOrchestrator);
    if (const auto* list = std::get_if<protocol::ForwardList>(&next.message); list != nullptr && on_forward) {
      on_forward(*list);
      continue;
    }
    const auto* control = std::get_if<protocol::Control>(&next.message);
    switch (control != nullptr ? control->kind : protocol::Control::Kind::kStop) {
      case protocol::Control::Kind::kBeginStep: step = control->step; return true;
      case protocol::Control::Kind::kShutdown: step = control->step; return false;
      case protocol::Control::Kind::kCheckpoint:
        if (on_checkpoint) {
          on_checkpoint(control->step);
          continue;
        }
        [[fallthrough]];
      default:
        throw Error(ExitCode::kFailure, fmt::format("protocol error after step {}: expected Control {{kBeginStep}} or "
                                                    "{{kShutdown}}{}{} from rank 0 (orchestrator), got {}",
                                                    step, on_checkpoint ? " or {kCheckpoint}" : "",
                                                    on_forward ? " or a ForwardList" : "", what_arrived(next.message)));
    }
  }
}

// The next piece of work of a phase (core/protocol/messages.h, steps 1-6): the next message from `source` (the
// orchestrator, or kAnySource where workers send work too) as a T, or nullopt at the phase's end marker,
// Control {`end`, `step`} from the orchestrator. Anything else is a protocol error naming what was expected, what
// came and from whom.
template <class T>
std::optional<T> next_work(comm::World& world, protocol::Control::Kind end, uint64_t step, int source) {
  comm::ReceivedMessage next = world.world().recv_next(source);
  if (T* work = std::get_if<T>(&next.message)) return std::move(*work);
  const auto* control = std::get_if<protocol::Control>(&next.message);
  if (control != nullptr && next.source == kOrchestrator && control->kind == end && control->step == step) {
    return std::nullopt;
  }
  const std::string wanted = protocol::message_type_name(protocol::type_of(protocol::Message{T{}}));
  throw Error(ExitCode::kFailure,
              fmt::format("protocol error in step {}: expected a {} or {} from rank 0 (orchestrator), got {} from {}",
                          step, wanted, protocol::describe(protocol::Control{end, step}), what_arrived(next.message),
                          world.layout().describe(world.world().world_rank_of(next.source))));
}

// Whether world rank `rank` exists and plays `role`.
bool is_rank_of(comm::World& world, int rank, comm::Role role) {
  return rank >= 0 && rank < world.layout().world_size() && world.layout().at(rank).role == role;
}

// Every rank's part of the stop agreement that closes each step (core/protocol/messages.h, step 8). The
// orchestrator acts on the result; the other ranks learn the outcome from its Control messages.
void join_stop_agreement(comm::World& world) {
  comm::PhaseScope phase(world.state(), "agree on stop");
  int32_t flag = stop_requested() ? 1 : 0;
  world.world().all_reduce(&flag, 1, comm::DataType::kInt32, comm::ReduceOp::kMax);
}

// What the weight sync carries: every parameter, or with LoRA only the adapters. The base is frozen and every
// rank loaded the same one, so the rollout ranks apply the received adapters on top of it, unmerged: merging
// would need the base kept (or the previous delta subtracted, which accumulates rounding in 16-bit weights) to
// take the next version, and the unmerged adapter computes exactly what the learner's policy computes.
distributed::NamedTensors weights_of(const models::Transformer& model) {
  distributed::NamedTensors out;
  std::vector<models::NamedTensor> tensors = model.adapter_parameters();
  if (tensors.empty()) tensors = model.named_parameters();
  for (const models::NamedTensor& tensor : tensors) out.emplace_back(tensor.name, tensor.tensor);
  return out;
}

std::size_t weight_bucket_bytes(const config::Config& config) {
  return static_cast<std::size_t>(config.distributed.weight_bucket_mb * 1024 * 1024);
}

// How often the thread that owns MPI moves a weight receive on while generation runs: MPI transfers only inside
// MPI calls, and a test costs microseconds, so this keeps the transfer moving for well under 1% of a core.
constexpr auto kReceivePoll = std::chrono::microseconds(200);

// Generates `batch` on a helper thread while this thread, which owns MPI, moves the receive of the next weight
// version on (distributed/weight_sync.h: overlapped receive). Generation only reads the model, and the
// received bytes go to the receiver's staging buffer, never into the model, until finish(). Without an MPI
// weight-sync communicator (NCCL on a GPU rank) there is nothing to move on: generation runs here.
std::vector<protocol::GeneratedGroup> generate_while_receiving(const rollout::RolloutWorker& worker,
                                                               const protocol::PromptBatch& batch,
                                                               uint64_t policy_version,
                                                               distributed::WeightReceiver& receiver) {
  if (!receiver.overlaps()) return worker.generate(batch, policy_version);
  std::future<std::vector<protocol::GeneratedGroup>> groups =
      std::async(std::launch::async, [&] { return worker.generate(batch, policy_version); });
  bool arrived = false;
  while (!arrived && groups.wait_for(kReceivePoll) != std::future_status::ready) arrived = receiver.progress();
  return groups.get();
}

// A learner's groups of `share` (core/protocol/messages.h, step 5): from the orchestrator or straight from the
// rollout workers that keep them, in any order; returned in the share's item order.
std::vector<protocol::GeneratedGroup> receive_groups(comm::World& world, const protocol::PromptBatch& share) {
  std::map<uint64_t, protocol::GeneratedGroup> by_prompt;
  for (const protocol::PromptItem& item : share.items) by_prompt[item.prompt_id];
  for (std::size_t i = 0; i < share.items.size(); ++i) {
    auto [source, group] = world.world().recv_as<protocol::GeneratedGroup>(comm::kAnySource);
    const auto found = by_prompt.find(group.prompt_id);
    if (found == by_prompt.end() || group.step != share.step || !found->second.completions.empty()) {
      throw Error(ExitCode::kFailure,
                  fmt::format("protocol error in step {}: {} sent the group of prompt {} (step {}), which is not one "
                              "this learner waits for",
                              share.step, world.layout().describe(world.world().world_rank_of(source)), group.prompt_id,
                              group.step));
    }
    found->second = std::move(group);
  }
  std::vector<protocol::GeneratedGroup> groups;
  for (const protocol::PromptItem& item : share.items) groups.push_back(std::move(by_prompt.at(item.prompt_id)));
  return groups;
}

}  // namespace

uint64_t run_rollout_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                          models::Transformer& policy, const RoleStart& start) {
  const rollout::RolloutWorker worker(rollout::rollout_worker_options(config), tokenizer, policy);
  const distributed::NamedTensors weights = weights_of(policy);
  distributed::WeightReceiver receiver(*world.weight_sync(), weights, 0, weight_bucket_bytes(config));
  comm::MpiCommunicator& comm = world.world();
  // Groups are stamped with the number of GRPO updates in their weights (the wire versions of the weight sync
  // also count the warm start).
  auto updates = static_cast<uint64_t>(start.step);
  if (config.sft.warmup_steps > 0 || start.checkpoint) {
    // The learners' warm start (or the weights of the checkpoint they restored) arrives as the first version,
    // before the first step.
    comm::PhaseScope phase(world.state(), "warm start", config.timeouts.startup_s + config.timeouts.step_s);
    receiver.receive();
    receiver.copy_into(weights);
  }
  // The groups of the direct route (core/protocol/messages.h, step 3), by prompt id, until a ForwardList sends
  // each on (step 5) or drops it.
  std::map<uint64_t, protocol::GeneratedGroup> kept;
  const auto forward = [&](const protocol::ForwardList& list) {
    comm::PhaseScope phase(world.state(), "forward groups");
    for (std::size_t i = 0; i < list.prompt_ids.size(); ++i) {
      const auto found = kept.find(list.prompt_ids[i]);
      const int dest = list.destinations[i];
      if (found == kept.end() || found->second.step != list.step ||
          !(dest == kOrchestrator || is_rank_of(world, dest, comm::Role::kLearner))) {
        throw Error(ExitCode::kFailure,
                    fmt::format("protocol error: a ForwardList of step {} from rank 0 (orchestrator) sends prompt {} "
                                "to rank {}: {}",
                                list.step, list.prompt_ids[i], dest,
                                found == kept.end() || found->second.step != list.step
                                    ? "this worker keeps no such group of that step"
                                    : "not a learner or the orchestrator"));
      }
      comm.send(dest, found->second);
      kept.erase(found);
    }
    std::erase_if(kept, [&](const auto& entry) { return entry.second.step == list.step; });
    comm.flush();
  };
  uint64_t step = 0;
  while (next_step(world, step, {}, forward)) {
    // The version the learners publish after this step's update arrives into the receiver's second buffer
    // while this step's groups are generated (in asynchronous mode the update runs meanwhile, so the transfer
    // leaves the critical path); waits on the orchestrator move it on too, as every MPI call does.
    receiver.start();
    {
      comm::PhaseScope phase(world.state(), "generate");
      while (true) {
        comm::ReceivedMessage next = comm.recv_next(kOrchestrator);
        if (const auto* list = std::get_if<protocol::ForwardList>(&next.message)) {
          forward(*list);
          continue;
        }
        auto* batch = std::get_if<protocol::PromptBatch>(&next.message);
        if (batch == nullptr) {
          const auto* control = std::get_if<protocol::Control>(&next.message);
          if (control != nullptr && control->kind == protocol::Control::Kind::kEndGeneration && control->step == step) {
            break;
          }
          throw Error(ExitCode::kFailure,
                      fmt::format("protocol error in step {}: expected a PromptBatch, a ForwardList or {} from rank 0 "
                                  "(orchestrator), got {}",
                                  step, protocol::describe({protocol::Control::Kind::kEndGeneration, step}),
                                  what_arrived(next.message)));
        }
        if (batch->items.empty()) {
          // The orchestrator counts a chunk as answered when all its groups are back: an empty one never is.
          throw Error(ExitCode::kFailure, fmt::format("protocol error in step {}: an empty PromptBatch chunk from "
                                                      "rank 0 (orchestrator); chunks hold at least one prompt",
                                                      step));
        }
        if (batch->reward_rank != 0 && (batch->prompt_texts.size() != batch->items.size() ||
                                        !is_rank_of(world, batch->reward_rank, comm::Role::kReward))) {
          throw Error(ExitCode::kFailure,
                      fmt::format("protocol error in step {}: a chunk routed to rank {} with {} prompt texts for {} "
                                  "items; the direct route needs a reward worker's rank and one text per item",
                                  step, batch->reward_rank, batch->prompt_texts.size(), batch->items.size()));
        }
        std::vector<protocol::GeneratedGroup> groups = generate_while_receiving(worker, *batch, updates, receiver);
        if (batch->reward_rank == 0) {
          for (const protocol::GeneratedGroup& group : groups) comm.send(kOrchestrator, group);
          comm.flush();
          continue;
        }
        // The direct route (step 3): the requests go straight to the chunk's reward worker, the orchestrator
        // gets summaries, the groups stay here. No flush: the reward worker may be busy scoring, and this
        // rank's next MPI calls move the sends on.
        for (std::size_t i = 0; i < groups.size(); ++i) {
          comm.send(batch->reward_rank,
                    protocol::reward_request_for(groups[i], batch->prompt_texts[i], batch->items[i].answer));
        }
        for (protocol::GeneratedGroup& group : groups) {
          comm.send(kOrchestrator, protocol::summary_of(group));
          const uint64_t id = group.prompt_id;
          kept[id] = std::move(group);
        }
      }
    }
    {
      // The new version goes into the model between steps, so a group never mixes versions. Only this wait
      // is bounded by a deadline: the publisher may still be updating (timeouts.step_s).
      comm::PhaseScope phase(world.state(), "weight_sync");
      receiver.finish();
      receiver.copy_into(weights);
      updates = step + 1;
    }
    join_stop_agreement(world);
  }
  return step;
}

uint64_t run_reward_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  const reward::RewardWorker worker(reward::reward_worker_options(config), tokenizer);
  comm::MpiCommunicator& comm = world.world();
  uint64_t step = 0;
  while (next_step(world, step)) {
    {
      comm::PhaseScope phase(world.state(), "reward");
      bool ended = false;
      while (!ended) {
        // The requests already queued here are scored together: one GRM critique pass for all of them
        // (reward_worker.h: Batching). Control {kEndScoring} ends the step.
        std::vector<protocol::RewardRequest> requests;
        do {
          // Requests come from the orchestrator or, on the direct route, from the rollout workers.
          std::optional<protocol::RewardRequest> request =
              next_work<protocol::RewardRequest>(world, protocol::Control::Kind::kEndScoring, step, comm::kAnySource);
          if (!request) {
            ended = true;
            break;
          }
          requests.push_back(std::move(*request));
        } while (comm.has_message(comm::kAnySource, comm::kAnyTag));
        if (requests.empty()) continue;
        // No flush: the orchestrator takes the results once the step's summaries are in (sample_direct), and
        // meanwhile this worker scores on; its next MPI calls move the sends on.
        for (protocol::RewardResult& result : worker.score_batch(requests)) comm.send(kOrchestrator, result);
      }
    }
    join_stop_agreement(world);
  }
  return step;
}

uint64_t run_learner_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                          models::Transformer& policy, const RoleStart& start) {
  comm::MpiCommunicator& comm = world.world();
  const bool publishes = world.self().role_index == 0;
  std::unique_ptr<distributed::WeightPublisher> publisher;
  if (publishes) {
    publisher = std::make_unique<distributed::WeightPublisher>(*world.weight_sync(), weight_bucket_bytes(config));
  }
  if (config.sft.warmup_steps > 0 && !start.checkpoint) {
    comm::PhaseScope phase(world.state(), "warm start");
    warm_start(config, tokenizer, policy, world.learners(), world.self().role_index,
               static_cast<int>(config.layout.learners));
    if (publishes) publisher->publish(1, weights_of(policy));
  }
  // Built after the warm start: the reference model is the warm-started policy.
  learner::GrpoLearner learner(learner::grpo_learner_options(config), policy, world.learners());
  if (start.checkpoint) {
    comm::PhaseScope phase(world.state(), "restore checkpoint");
    learner::load_learner_checkpoint(learner, policy, *start.checkpoint);
    // The version the weights after `start.step` steps had in the uninterrupted run (see the publish below).
    if (publishes) publisher->publish(static_cast<uint64_t>(start.step) + 1, weights_of(policy));
  }
  const auto write_checkpoint = [&](uint64_t checkpoint_step) {
    comm::PhaseScope phase(world.state(), "checkpoint");
    // Collective when the optimizer state is sharded (distributed.zero_stage): every learner takes part.
    const learner::NamedTensors optimizer_state = learner.optimizer_state(/*keep=*/publishes);
    if (publishes) {
      const std::filesystem::path dir = checkpoint_store_of(config).staging_path(static_cast<int64_t>(checkpoint_step));
      learner::save_learner_checkpoint(learner, policy, dir, tokenizer_source_of(config), optimizer_state);
    }
    protocol::Control done;
    done.kind = protocol::Control::Kind::kCheckpoint;
    done.step = checkpoint_step;
    comm.send(kOrchestrator, done);
    comm.flush();
  };
  uint64_t step = 0;
  while (next_step(world, step, write_checkpoint)) {
    protocol::StepReport report;
    report.step = step;
    {
      comm::PhaseScope phase(world.state(), "train");
      const protocol::PromptBatch share = comm.recv_as<protocol::PromptBatch>(kOrchestrator).second;
      std::vector<protocol::RewardResult> results;
      for (std::size_t i = 0; i < share.items.size(); ++i) {
        results.push_back(comm.recv_as<protocol::RewardResult>(kOrchestrator).second);
      }
      const std::vector<protocol::GeneratedGroup> groups = receive_groups(world, share);
      // Every learner gets an equal share, so either all of them update or none does (no usable group).
      if (!share.items.empty()) {
        const auto update_start = std::chrono::steady_clock::now();
        const learner::LearnerBatch batch =
            learner::make_learner_batch(share.items, groups, results, config.rollout.group_size);
        for (const auto& [name, value] : learner.step(batch, static_cast<int64_t>(step))) {
          report.metrics.emplace_back(name, value);
        }
        report.metrics.emplace_back(
            "time/update_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - update_start).count());
      }
    }
    if (publishes) {
      comm::PhaseScope phase(world.state(), "weight_sync");
      const auto publish_start = std::chrono::steady_clock::now();
      const distributed::NamedTensors weights = weights_of(policy);
      publisher->publish(step + 2, weights);  // version 1 is the warm start's
      double bytes = 0;
      for (const auto& weight : weights) bytes += static_cast<double>(weight.second.nbytes());
      report.metrics.emplace_back("sync/weight_bytes", bytes);
      report.metrics.emplace_back(
          "time/publish_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - publish_start).count());
    }
    if (config.run.verify_learner_sync) report.weights_digest = learner.weights_digest();
    comm.send(kOrchestrator, report);
    comm.flush();
    join_stop_agreement(world);
  }
  return step;
}

}  // namespace spct::train
