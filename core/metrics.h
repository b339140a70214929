// Named scalar metrics of one step ("reward/mean", "loss/kl", ...): what roles report and the run logs.
// Every name is documented in docs/metrics.md.
#pragma once

#include <map>
#include <string>

namespace spct {

using Metrics = std::map<std::string, double>;

}  // namespace spct
