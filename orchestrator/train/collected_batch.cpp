#include "orchestrator/train/collected_batch.h"

namespace spct::train {

CollectedBatch::Training CollectedBatch::training() const {
  Training out;
  out.batch.step = step;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!trained[i]) continue;
    if (out.batch.items.empty()) out.batch.policy_version = groups[i].policy_version;
    out.batch.items.push_back(items[i]);
    out.groups.push_back(groups[i]);
    out.results.push_back(results[i]);
    out.holders.push_back(holders[i]);
  }
  return out;
}

bool CollectedBatch::all_here() const {
  for (const int holder : holders) {
    if (holder != 0) return false;
  }
  return true;
}

StepTally CollectedBatch::tally() const {
  StepTally tally;
  for (std::size_t i = 0; i < summaries.size(); ++i) tally.add(summaries[i], results[i]);
  return tally;
}

}  // namespace spct::train
