#include "workers/reward/grm/compact_prompt.h"

namespace spct::grm {

std::string render_compact(std::string_view query, const std::vector<std::string_view>& responses,
                           std::optional<int> hint_best) {
  std::string out = "Q:";
  out += query;
  for (size_t i = 0; i < responses.size(); ++i) {
    out += " R" + std::to_string(i + 1) + ":";
    out += responses[i];
  }
  if (hint_best) out += " B:R" + std::to_string(*hint_best + 1);
  out += " S:";
  return out;
}

std::string render_compact_single(std::string_view query, std::string_view response) {
  std::string out = "Q:";
  out += query;
  out += " R:";
  out += response;
  out += " S:";
  return out;
}

}  // namespace spct::grm
