#include "models/packed_weight.h"

#include <c10/core/InferenceMode.h>

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
  const std::lock_guard<std::mutex> lock(mutex_);
  const bool current = source_.has_value() && !source_->expired() &&
                       source_->_unsafe_get_target() == weight.unsafeGetTensorImpl() &&
                       source_version_ == weight._version();
  if (!current) {
    packed_ = at::Tensor();  // the stale copy's memory first, before the new one is made
    packed_ = onednn_pack_weight(weight);
    source_ = c10::weak_intrusive_ptr<c10::TensorImpl>(weight.getIntrusivePtr());
    source_version_ = weight._version();
  }
  return packed_;
}

}  // namespace spct::models
