// What changed between two configs, and which changes a resumed run cannot accept.
//
// A run resumed from a checkpoint continues the same experiment, so the keys that define it (the model and
// tokenizer, the data, the seed, the job kind, the group shape, the world layout, the GRM's prompt and voting)
// must match the run's saved config; `spct train --allow-config-change` overrides that. Everything else (steps,
// learning rate, timeouts, logging, checkpoint cadence...) may change between attempts, as operators do when
// they extend a run or fix a timeout, and is only reported.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace spct::config {

struct ConfigChange {
  std::string key;
  std::string before;  // rendered as in config.yaml
  std::string after;
  bool blocks_resume = false;

  // "model.hidden_size: 64 -> 128"
  std::string describe() const;
};

// Every field whose value differs, in schema order.
std::vector<ConfigChange> config_changes(const Config& before, const Config& after);

// True for a key a resumed run must not change (see above).
bool change_blocks_resume(const std::string& key);

}  // namespace spct::config
