#include "orchestrator/train/step_backend.h"

#include <chrono>

namespace spct::train {

SampledGroups StepBackend::sample_here(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                                       PhaseTimes& times, const std::function<void(std::string_view)>& enter_phase) {
  using Clock = std::chrono::steady_clock;
  if (enter_phase) enter_phase("generate");
  Clock::time_point start = Clock::now();
  SampledGroups sampled;
  sampled.groups = generate(batch);
  times.generate += std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<protocol::RewardRequest> requests;
  for (std::size_t i = 0; i < sampled.groups.size(); ++i) {
    requests.push_back(protocol::reward_request_for(sampled.groups[i], texts[i], batch.items[i].answer));
    sampled.summaries.push_back(protocol::summary_of(sampled.groups[i]));
  }
  if (enter_phase) enter_phase("reward");
  start = Clock::now();
  sampled.results = score(requests);
  sampled.holders.assign(sampled.groups.size(), 0);
  times.reward += std::chrono::duration<double>(Clock::now() - start).count();
  return sampled;
}

}  // namespace spct::train
