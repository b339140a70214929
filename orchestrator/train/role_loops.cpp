#include "orchestrator/train/role_loops.h"

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "distributed/weight_sync.h"
#include "learner/grpo_learner.h"
#include "orchestrator/train/warm_start.h"
#include "workers/reward/reward_worker.h"
#include "workers/rollout/rollout_worker.h"

namespace spct::train {
namespace {

constexpr int kOrchestrator = 0;

// Waits for the orchestrator's next Control; true for kBeginStep, false for kShutdown.
bool next_step(comm::World& world, uint64_t& step) {
  comm::PhaseScope phase(world.state(), "wait for step");
  const protocol::Control control = world.world().recv_as<protocol::Control>(kOrchestrator).second;
  switch (control.kind) {
    case protocol::Control::Kind::kBeginStep: step = control.step; return true;
    case protocol::Control::Kind::kShutdown: return false;
    default: throw Error(ExitCode::kFailure, "unexpected control message in the step loop");
  }
}

distributed::NamedTensors weights_of(const models::Transformer& model) {
  distributed::NamedTensors out;
  for (const models::NamedTensor& parameter : model.named_parameters())
    out.emplace_back(parameter.name, parameter.tensor);
  return out;
}

std::size_t weight_bucket_bytes(const config::Config& config) {
  return static_cast<std::size_t>(config.distributed.weight_bucket_mb * 1024 * 1024);
}

}  // namespace

void run_rollout_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                      models::Transformer& policy) {
  const rollout::RolloutWorker worker(config, tokenizer, policy);
  const distributed::NamedTensors weights = weights_of(policy);
  distributed::WeightReceiver receiver(*world.weight_sync(), weights, 0, weight_bucket_bytes(config));
  comm::MpiCommunicator& comm = world.world();
  // Groups are stamped with the number of GRPO updates in their weights (the wire versions of the weight sync
  // also count the warm start).
  uint64_t updates = 0;
  if (config.sft.warmup_steps > 0) {
    // The learners' warm start arrives as the first version, before the first step.
    comm::PhaseScope phase(world.state(), "warm start", config.timeouts.startup_s + config.timeouts.step_s);
    receiver.receive();
    receiver.copy_into(weights);
  }
  uint64_t step = 0;
  while (next_step(world, step)) {
    {
      comm::PhaseScope phase(world.state(), "generate");
      while (true) {
        const protocol::PromptBatch batch = comm.recv_as<protocol::PromptBatch>(kOrchestrator).second;
        if (batch.items.empty()) break;
        for (const protocol::GeneratedGroup& group : worker.generate(batch, updates)) comm.send(kOrchestrator, group);
        comm.flush();
      }
    }
    // The new version goes into the model between steps, so a group never mixes versions.
    comm::PhaseScope phase(world.state(), "weight_sync");
    receiver.receive();
    receiver.copy_into(weights);
    updates = step + 1;
  }
}

void run_reward_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  const reward::RewardWorker worker(config, tokenizer);
  comm::MpiCommunicator& comm = world.world();
  uint64_t step = 0;
  while (next_step(world, step)) {
    comm::PhaseScope phase(world.state(), "reward");
    while (true) {
      const protocol::RewardRequest request = comm.recv_as<protocol::RewardRequest>(kOrchestrator).second;
      if (request.group.completions.empty()) break;
      comm.send(kOrchestrator, worker.score(request));
      comm.flush();
    }
  }
}

void run_learner_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                      models::Transformer& policy) {
  comm::MpiCommunicator& comm = world.world();
  const bool publishes = world.self().role_index == 0;
  std::unique_ptr<distributed::WeightPublisher> publisher;
  if (publishes) {
    publisher = std::make_unique<distributed::WeightPublisher>(*world.weight_sync(), weight_bucket_bytes(config));
  }
  if (config.sft.warmup_steps > 0) {
    comm::PhaseScope phase(world.state(), "warm start");
    warm_start(config, tokenizer, policy, world.learners(), world.self().role_index,
               static_cast<int>(config.layout.learners));
    if (publishes) publisher->publish(1, weights_of(policy));
  }
  // Built after the warm start: the reference model is the warm-started policy.
  learner::GrpoLearner learner(config, policy, world.learners());
  uint64_t step = 0;
  while (next_step(world, step)) {
    protocol::StepReport report;
    report.step = step;
    {
      comm::PhaseScope phase(world.state(), "train");
      const protocol::PromptBatch share = comm.recv_as<protocol::PromptBatch>(kOrchestrator).second;
      std::vector<protocol::GeneratedGroup> groups;
      std::vector<protocol::RewardResult> results;
      for (std::size_t i = 0; i < share.items.size(); ++i) {
        groups.push_back(comm.recv_as<protocol::GeneratedGroup>(kOrchestrator).second);
        results.push_back(comm.recv_as<protocol::RewardResult>(kOrchestrator).second);
      }
      // Every learner gets an equal share, so either all of them update or none does (no usable group).
      if (!share.items.empty()) {
        const learner::LearnerBatch batch =
            learner::make_learner_batch(share.items, groups, results, config.rollout.group_size);
        for (const auto& [name, value] : learner.step(batch, static_cast<int64_t>(step))) {
          report.metrics.emplace_back(name, value);
        }
      }
    }
    if (publishes) {
      comm::PhaseScope phase(world.state(), "weight_sync");
      const auto start = std::chrono::steady_clock::now();
      publisher->publish(step + 2, weights_of(policy));  // version 1 is the warm start's
      report.metrics.emplace_back("time/publish_s",
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (config.run.verify_learner_sync) report.weights_digest = learner.weights_digest();
    comm.send(kOrchestrator, report);
    comm.flush();
  }
}

}  // namespace spct::train
