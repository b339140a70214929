// The order in which a run consumes prompts: epochs over a finite source, each shuffled deterministically from
// the run seed, or one endless pass over a generated task. The position is a small cursor that a checkpoint
// saves as JSON; a stream restored from it yields exactly the items an uninterrupted stream would have.
//
// Thread safety: not thread-safe (one owner, the orchestrator's step loop).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "orchestrator/data/prompt_source.h"

namespace spct::data {

// The next item to hand out: position `position` of epoch `epoch`'s order.
struct StreamCursor {
  uint64_t epoch = 0;
  uint64_t position = 0;

  bool operator==(const StreamCursor&) const = default;
};

class PromptStream {
 public:
  // REQUIRES: source is non-null and not empty (std::invalid_argument otherwise). With `shuffle`, each epoch visits the
  // items of a finite source in a permutation drawn from (seed, epoch); without, in file order. An unbounded source is
  // read in index order (it is random already) and stays in epoch 0.
  PromptStream(std::shared_ptr<const PromptSource> source, uint64_t seed, bool shuffle);

  // The next item; moves to the next epoch after the last item of one.
  PromptItem next();
  // The next `count` items, crossing epoch boundaries as needed.
  std::vector<PromptItem> next_batch(uint64_t count);

  StreamCursor cursor() const { return cursor_; }

  // {"epoch": e, "position": p, "seed": s, "shuffle": b, "dataset": "<fingerprint>"}: what a checkpoint stores.
  nlohmann::json save() const;
  // Continues from a state written by save(). Throws spct::InputError naming the field when the state is
  // malformed, or when it was saved for other data, seed or shuffle setting, or a position past the end.
  void restore(const nlohmann::json& state);

 private:
  // The source index at the cursor, computing the epoch's permutation when the epoch changes.
  uint64_t current_index();

  const std::shared_ptr<const PromptSource> source_;
  const uint64_t seed_;
  const bool shuffle_;
  StreamCursor cursor_;
  std::vector<uint64_t> order_;  // the permutation of epoch order_epoch_ (shuffled finite sources only)
  uint64_t order_epoch_ = 0;
  bool order_valid_ = false;
};

}  // namespace spct::data
