// The optional per-completion "info" of an external reward's answer (docs/rewards.md): anything the plugin
// wants a reader of the rollout log to see next to the score (the answer it extracted, a rule that fired).
// Both kinds accept it in the same shape: a list of one entry per completion.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace spct::reward {

// The "info" of `answer` as one compact JSON text per completion ("" for a null entry); an empty list when
// `answer` has none; std::nullopt when it is not a list of `completions` entries.
std::optional<std::vector<std::string>> info_texts(const nlohmann::json& answer, std::size_t completions);

}  // namespace spct::reward
