#include "core/config/config_diff.h"

#include <array>
#include <string_view>

#include "core/config/schema.h"

namespace spct::config {
namespace {

// Whole sections, then single keys, that define the experiment.
constexpr std::array<std::string_view, 5> kBlockingSections = {"model", "tokenizer", "data", "layout", "grm"};
constexpr std::array<std::string_view, 4> kBlockingKeys = {"run.seed", "run.job", "rollout.group_size",
                                                           "rollout.prompts_per_step"};
// Keys of blocking sections that only say where the experiment runs or how it uses memory, not what it computes: a
// run may move from CPU to GPU on resume, and turn-taking changes no value (orchestrator/train/turn_taking.h).
constexpr std::array<std::string_view, 2> kPlacementKeys = {"model.device", "layout.take_turns"};

}  // namespace

std::string ConfigChange::describe() const {
  return key + ": " + before + " -> " + after;
}

bool change_blocks_resume(const std::string& key) {
  for (const std::string_view placement : kPlacementKeys) {
    if (key == placement) return false;
  }
  const std::string_view section = std::string_view(key).substr(0, key.find('.'));
  for (const std::string_view blocking : kBlockingSections) {
    if (section == blocking) return true;
  }
  for (const std::string_view blocking : kBlockingKeys) {
    if (key == blocking) return true;
  }
  return false;
}

std::vector<ConfigChange> config_changes(const Config& before, const Config& after) {
  std::vector<ConfigChange> changes;
  for (const FieldSpec& field : schema()) {
    std::string old_value = field.render(before);
    std::string new_value = field.render(after);
    if (old_value != new_value) {
      changes.push_back({field.key, std::move(old_value), std::move(new_value), change_blocks_resume(field.key)});
    }
  }
  return changes;
}

}  // namespace spct::config
