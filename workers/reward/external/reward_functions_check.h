// The load-time check of reward.functions: every entry is a registered rule, `grm`, or a well-formed external
// reward (NAME=command:... or NAME=http:...), so that a misspelt reward stops the run before any rank starts,
// with the place the key was set.
#pragma once

#include <string>
#include <vector>

namespace spct::reward {

// Throws spct::UsageError "`where`: reward.functions: ..." for the first unknown name (listing the registered
// ones) or malformed external spec. `where` is where reward.functions was set, e.g. "configs/a.yaml:31:14".
void check_reward_functions(const std::vector<std::string>& functions, const std::string& where);

}  // namespace spct::reward
