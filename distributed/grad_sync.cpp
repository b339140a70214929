#include "distributed/grad_sync.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros_like.h>
#include <fmt/format.h>

#include "core/error.h"

namespace spct::distributed {

GradSync::GradSync(comm::Communicator& comm, NamedTensors params, size_t bucket_bytes)
    : comm_(comm), params_(std::move(params)) {
  check_same_everywhere(comm_, params_, "learner parameters");
  if (params_.empty()) return;
  const at::Device device = params_.front().second.device();
  for (const auto& [name, param] : params_) {
    const comm::DataType type = reducible_type(param.scalar_type(), "parameter '" + name + "'");
    if (type != comm::DataType::kFloat32 && type != comm::DataType::kFloat64) {
      throw UsageError(fmt::format("parameter '{}' is {}; gradients are averaged in float32 or float64", name,
                                   comm::to_string(type)));
    }
    if (param.device() != device) {
      throw UsageError(fmt::format("parameter '{}' is on {}, the first parameter on {}; GradSync needs one device",
                                   name, param.device().str(), device.str()));
    }
  }

  // Backward produces gradients from the last layer to the first: fill buckets in that order, so a bucket's
  // gradients are complete together.
  Bucket open;
  size_t open_bytes = 0;
  const auto close = [&] {
    if (open.slots.empty()) return;
    const auto scalar = open.type == comm::DataType::kFloat32 ? at::kFloat : at::kDouble;
    const int64_t elements = static_cast<int64_t>(open_bytes / comm::size_of(open.type));
    open.flat = at::empty({elements}, at::TensorOptions().dtype(scalar).device(device));
    buckets_.push_back(std::move(open));
    open = Bucket{};
    open_bytes = 0;
  };
  for (size_t i = params_.size(); i-- > 0;) {
    const at::Tensor& param = params_[i].second;
    const comm::DataType type = reducible_type(param.scalar_type(), params_[i].first);
    const size_t bytes = static_cast<size_t>(param.numel()) * comm::size_of(type);
    if (!open.slots.empty() && (open.type != type || open_bytes + bytes > bucket_bytes)) close();
    if (open.slots.empty()) open.type = type;
    open.slots.push_back(Slot{i, static_cast<int64_t>(open_bytes / comm::size_of(type))});
    open_bytes += bytes;
    total_bytes_ += bytes;
  }
  close();
}

void GradSync::sync() {
  at::NoGradGuard no_grad;
  for (Bucket& bucket : buckets_) {
    for (const Slot& slot : bucket.slots) {
      const at::Tensor& grad = params_[slot.param].second.grad();
      const at::Tensor part = bucket.flat.narrow(0, slot.offset, params_[slot.param].second.numel());
      if (!grad.defined()) {
        part.zero_();
      } else if (grad.data_ptr() != part.data_ptr()) {
        part.copy_(grad.reshape({-1}));
      }  // else: the gradient already lives in the bucket (see below); nothing to copy
    }
    comm_.all_reduce(bucket.flat.data_ptr(), static_cast<size_t>(bucket.flat.numel()), bucket.type,
                     comm::ReduceOp::kAvg);
    for (const Slot& slot : bucket.slots) {
      at::Tensor param = params_[slot.param].second;
      const at::Tensor part = bucket.flat.narrow(0, slot.offset, param.numel());
      // Point the gradient at its place in the bucket. Autograd accumulates into an existing gradient in
      // place, so as long as the learner zeroes gradients in place the next backward writes straight into the
      // bucket and the copy above is skipped.
      if (!param.grad().defined() || param.grad().data_ptr() != part.data_ptr()) {
        param.mutable_grad() = part.view(param.sizes());
      }
    }
  }
}

}  // namespace spct::distributed
