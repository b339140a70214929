// The chat template reference (chat_template_reference.py: transformers and its Jinja environment) run under
// SPCT_PYTHON with a deadline, so that a hung interpreter fails the test instead of stalling the suite.
#pragma once

#include <nlohmann/json.hpp>

namespace spct::testing {

// The reference's answer for `cases` (see the script for both forms): {"transformers": version, "results": [...]}.
// Throws std::runtime_error when the script fails or passes SPCT_REFERENCE_DEADLINE_S.
nlohmann::ordered_json run_chat_reference(const nlohmann::ordered_json& cases);

}  // namespace spct::testing
