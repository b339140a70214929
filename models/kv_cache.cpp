#include "models/kv_cache.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/nonzero.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

namespace spct::models {

KvCache::KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, at::ScalarType dtype, at::Device device)
    : batch_(batch), capacity_(capacity) {
  if (batch <= 0 || capacity <= 0) {
    throw InputError("KV cache: batch (" + std::to_string(batch) + ") and capacity (" + std::to_string(capacity) +
                     ") must be positive");
  }
  const auto options = at::TensorOptions().dtype(dtype).device(device);
  for (int64_t l = 0; l < config.num_layers; ++l) {
    keys_.push_back(at::empty({batch, config.num_kv_heads, capacity, config.head_dim}, options));
    values_.push_back(at::empty({batch, config.num_kv_heads, capacity, config.head_dim}, options));
  }
  valid_ = at::zeros({batch, capacity}, at::TensorOptions().dtype(at::kBool).device(device));
}

at::Tensor KvCache::begin_step(const at::Tensor& mask) {
  const int64_t t = mask.size(1);
  if (mask.size(0) != batch_) {
    throw InputError("KV cache: step has batch " + std::to_string(mask.size(0)) + ", cache holds " +
                     std::to_string(batch_) + " rows");
  }
  if (length_ + t > capacity_) {
    throw InputError("KV cache: " + std::to_string(length_) + " + " + std::to_string(t) +
                     " tokens exceed its capacity of " + std::to_string(capacity_));
  }
  pending_ = t;
  valid_.narrow(1, length_, t).copy_(mask);
  return valid_.narrow(1, 0, length_ + t);
}

std::pair<at::Tensor, at::Tensor> KvCache::write(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
  at::Tensor& keys = keys_[static_cast<size_t>(layer)];
  at::Tensor& values = values_[static_cast<size_t>(layer)];
  // The cache is inference state: writing must not record autograd history into it.
  keys.narrow(2, length_, pending_).copy_(k.detach());
  values.narrow(2, length_, pending_).copy_(v.detach());
  return {keys.narrow(2, 0, length_ + pending_), values.narrow(2, 0, length_ + pending_)};
}

void KvCache::end_step() {
  length_ += pending_;
  pending_ = 0;
}

void KvCache::keep_rows(const at::Tensor& rows) {
  const at::Tensor index = rows.to(valid_.device());
  for (size_t l = 0; l < keys_.size(); ++l) {
    keys_[l] = keys_[l].index_select(0, index);
    values_[l] = values_[l].index_select(0, index);
  }
  valid_ = valid_.index_select(0, index);
  batch_ = rows.numel();
}

namespace {

// A [rows, ..., capacity, ...] copy of `t` whose slot dimension `dim` is `capacity` long, with t's `length`
// filled slots placed to end at slot `end`. The slots before them are zero (false for validity): zero, not
// uninitialised, because attention multiplies the values of padding slots by a weight of 0, and 0 x NaN
// garbage would be NaN. The slots after `end` stay uninitialised: a step writes a slot and its validity
// before any query reads it (begin_step, write), and zeroing them made growing the cache cost twice the copy.
at::Tensor realigned(const at::Tensor& t, int64_t dim, int64_t length, int64_t end, int64_t capacity) {
  std::vector<int64_t> shape = t.sizes().vec();
  shape[static_cast<size_t>(dim)] = capacity;
  at::Tensor out = at::empty(shape, t.options());
  out.narrow(dim, 0, end - length).zero_();
  out.narrow(dim, end - length, length).copy_(t.narrow(dim, 0, length));
  return out;
}

}  // namespace

void KvCache::append_rows(const KvCache& other) {
  if (pending_ != 0 || other.pending_ != 0) throw InputError("KV cache: append_rows during a forward step");
  const int64_t length = std::max(length_, other.length_);
  const int64_t capacity = length + std::max(capacity_ - length_, other.capacity_ - other.length_);
  for (size_t l = 0; l < keys_.size(); ++l) {
    keys_[l] = at::cat({realigned(keys_[l], 2, length_, length, capacity),
                        realigned(other.keys_[l], 2, other.length_, length, capacity)},
                       0);
    values_[l] = at::cat({realigned(values_[l], 2, length_, length, capacity),
                          realigned(other.values_[l], 2, other.length_, length, capacity)},
                         0);
  }
  valid_ = at::cat(
      {realigned(valid_, 1, length_, length, capacity), realigned(other.valid_, 1, other.length_, length, capacity)},
      0);
  batch_ += other.batch_;
  length_ = length;
  capacity_ = capacity;
}

void KvCache::drop_leading_padding() {
  if (length_ == 0 || pending_ != 0) return;
  const at::Tensor used = valid_.narrow(1, 0, length_).any(0).nonzero();
  const int64_t first = used.numel() == 0 ? length_ : used[0].item<int64_t>();
  if (first == 0) return;
  const int64_t kept = length_ - first;
  for (size_t l = 0; l < keys_.size(); ++l) {
    // Copies, not views: the dropped slots' memory is released now.
    keys_[l] = keys_[l].narrow(2, first, capacity_ - first).clone();
    values_[l] = values_[l].narrow(2, first, capacity_ - first).clone();
  }
  valid_ = valid_.narrow(1, first, capacity_ - first).clone();
  capacity_ -= first;
  length_ = kept;
}

void KvCache::reserve(int64_t capacity) {
  if (capacity <= capacity_) return;
  for (size_t l = 0; l < keys_.size(); ++l) {
    keys_[l] = realigned(keys_[l], 2, length_, length_, capacity);
    values_[l] = realigned(values_[l], 2, length_, length_, capacity);
  }
  valid_ = realigned(valid_, 1, length_, length_, capacity);
  capacity_ = capacity;
}

}  // namespace spct::models
