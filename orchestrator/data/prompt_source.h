// A read-only, random-access collection of prompts: a loaded JSONL file or a generated task.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "orchestrator/data/prompt_item.h"

namespace spct::data {

// size() of a generated stream that never runs out.
inline constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

// Thread safety: implementations are immutable after construction; at() may run on several threads at once.
class PromptSource {
 public:
  virtual ~PromptSource() = default;

  // Number of items, or kUnbounded. A finite source has at least one item.
  virtual uint64_t size() const = 0;

  // The item at `index`; the same index always gives the same item. REQUIRES: index < size().
  virtual PromptItem at(uint64_t index) const = 0;

  // Identifies the contents (a file's digest, a task's parameters), so that a resumed run can refuse a stream
  // position saved for different data.
  virtual std::string fingerprint() const = 0;
};

}  // namespace spct::data
