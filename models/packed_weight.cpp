#include "models/packed_weight.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <atomic>

#include "models/onednn_linear.h"

namespace spct::models {

namespace {

std::atomic<bool> packing_enabled{true};

}  // namespace

void PackedWeight::set_enabled(bool enabled) {
  packing_enabled.store(enabled, std::memory_order_relaxed);
}

bool PackedWeight::applies(const at::Tensor& x, const at::Tensor& weight) {
  if (!packing_enabled.load(std::memory_order_relaxed) || !c10::InferenceMode::is_enabled() || !x.device().is_cpu() ||
      !weight.device().is_cpu()) {
    return false;
  }
  const at::ScalarType dtype = weight.scalar_type();
  if ((dtype != at::kFloat && dtype != at::kBFloat16) || x.scalar_type() != dtype) return false;
  return weight.dim() == 2 && weight.numel() >= kOnednnMinWeightElements && !weight.is_inference() &&
         onednn_linear_available();
}

at::Tensor PackedWeight::get(const at::Tensor& weight) {
  return get({weight}, {at::Tensor()}).weight;
}

bool PackedWeight::made_from(c10::ArrayRef<at::Tensor> weights, c10::ArrayRef<at::Tensor> biases) const {
  size_t next = 0;
  const auto same = [&](const at::Tensor& tensor) {
    if (!tensor.defined()) return true;
    if (next == sources_.size()) return false;
    const Source& source = sources_[next++];
    return !source.tensor.expired() && source.tensor._unsafe_get_target() == tensor.unsafeGetTensorImpl() &&
           source.version == tensor._version();
  };
  for (const at::Tensor& weight : weights) {
    if (!same(weight)) return false;
  }
  for (const at::Tensor& bias : biases) {
    if (!same(bias)) return false;
  }
  return next == sources_.size();
}

PackedWeight::Stacked PackedWeight::get(c10::ArrayRef<at::Tensor> weights, c10::ArrayRef<at::Tensor> biases) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (made_from(weights, biases)) return packed_;
  packed_ = Stacked{};  // the stale copy's memory first, before the new one is made
  sources_.clear();
  const bool any_bias = std::any_of(biases.begin(), biases.end(), [](const at::Tensor& b) { return b.defined(); });
  packed_.weight = onednn_pack_weight(weights.size() == 1 ? weights[0] : at::cat(weights));
  if (any_bias) {
    std::vector<at::Tensor> bias_rows;
    for (size_t i = 0; i < weights.size(); ++i) {
      bias_rows.push_back(biases[i].defined() ? biases[i] : at::zeros({weights[i].size(0)}, weights[i].options()));
    }
    packed_.bias = bias_rows.size() == 1 ? bias_rows[0] : at::cat(bias_rows);
  }
  for (const c10::ArrayRef<at::Tensor> tensors : {weights, biases}) {
    for (const at::Tensor& tensor : tensors) {
      if (tensor.defined()) {
        sources_.push_back({c10::weak_intrusive_ptr<c10::TensorImpl>(tensor.getIntrusivePtr()), tensor._version()});
      }
    }
  }
  return packed_;
}

}  // namespace spct::models
