#include "models/kv_cache.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

#include <string>

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

}  // namespace spct::models
