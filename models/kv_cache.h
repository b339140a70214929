// The key/value cache of incremental decoding: for every layer, the rotated keys and the values of every token
// seen so far, preallocated to a fixed capacity.
//
// Layout: one slot per token position of the padded batch, shared by all rows ("slot" = column of the padded
// batch, not the token's position id). Prompts of different lengths are LEFT-padded by the caller; padding
// slots are marked invalid and never attended to, and each row carries its own position ids, so a row's
// result does not depend on how much padding its batch needed (models/generation.h does this).
//
// A forward pass with a cache appends T slots: Transformer::hidden_states calls begin_step(mask), write() once
// per layer, then end_step(). A query in slot s attends to the valid slots <= s.
//
// Continuous batching (models/generation.h) changes the set of rows while decoding: keep_rows drops finished
// rows and forks shared prefixes (a row listed several times), append_rows merges freshly prefilled rows in
// (both sides right-aligned: the shorter one gets invalid slots on the left), drop_leading_padding frees the
// slots no row needs any more, and reserve grows the capacity, so memory follows what the rows hold instead of
// being reserved up front for the longest possible sequence.
//
// Ownership: owns its tensors. Thread safety: none; one forward pass at a time per cache.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/model_config.h"

namespace spct::models {

class KvCache {
 public:
  // Room for `capacity` slots of `batch` rows, in `dtype` on `device` (use the model's).
  // REQUIRES: batch > 0, capacity > 0.
  KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, at::ScalarType dtype, at::Device device);

  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;
  KvCache(KvCache&&) = default;

  int64_t batch() const { return batch_; }
  int64_t length() const { return length_; }  // slots filled so far
  int64_t capacity() const { return capacity_; }

  // [batch, length] bool: which filled slots hold real tokens.
  at::Tensor valid() const { return valid_.narrow(1, 0, length_); }

  // Starts appending mask.size(1) slots; mask [batch, T] bool (false = padding). Returns the validity of all
  // slots a query of this step may see, [batch, length + T]. Throws spct::InputError when the batch size
  // differs or the capacity would be exceeded.
  at::Tensor begin_step(const at::Tensor& mask);

  // Stores this step's keys and values of `layer` (k, v: [batch, kv_heads, T, head_dim]) and returns views of
  // all keys and values up to and including this step, [batch, kv_heads, length + T, head_dim].
  std::pair<at::Tensor, at::Tensor> write(int64_t layer, const at::Tensor& k, const at::Tensor& v);

  // Commits the step begun by begin_step: length grows by T.
  void end_step();

  // Keeps only the given rows (int64 indices into the current batch, in the order given); the batch becomes
  // rows.numel() rows. Generation drops finished sequences this way so they stop costing compute; a row listed
  // k times is forked into k copies (the G samples of one prompt share its prefill).
  void keep_rows(const at::Tensor& rows);

  // Appends other's rows after this cache's rows, aligning both at their last filled slot (the shorter side is
  // padded on the left with invalid slots, which attention ignores). The capacity becomes the longer length
  // plus the larger spare room of the two. Throws spct::InputError when a step is in progress on either cache.
  // REQUIRES: same model layout, dtype and device.
  void append_rows(const KvCache& other);

  // Drops the leading slots that no row holds a valid token in (left behind by rows that left the batch).
  void drop_leading_padding();

  // Grows the capacity to at least `capacity` slots, keeping the contents (no-op when already that large).
  void reserve(int64_t capacity);

 private:
  int64_t batch_;
  int64_t capacity_;
  int64_t length_ = 0;
  int64_t pending_ = 0;             // T of the step in progress, 0 between steps
  std::vector<at::Tensor> keys_;    // per layer [batch, kv_heads, capacity, head_dim]
  std::vector<at::Tensor> values_;  // per layer, same shape
  at::Tensor valid_;                // [batch, capacity] bool
};

}  // namespace spct::models
