#include "workers/reward/external/reward_info.h"

namespace spct::reward {

std::optional<std::vector<std::string>> info_texts(const nlohmann::json& answer, std::size_t completions) {
  if (!answer.is_object() || !answer.contains("info")) return std::vector<std::string>{};
  const nlohmann::json& info = answer["info"];
  if (!info.is_array() || info.size() != completions) return std::nullopt;
  std::vector<std::string> texts;
  texts.reserve(completions);
  for (const nlohmann::json& entry : info) {
    texts.push_back(entry.is_null() ? "" : entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return texts;
}

}  // namespace spct::reward
