#include "distributed/grad_sync.h"

#include <ATen/DeviceAccelerator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/add.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros_like.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace spct::distributed {
namespace {

// The bucket (and wire) type of a parameter's gradient: float64 stays float64, everything else is summed in
// float32 (see the header: bf16 and fp16 are widened).
comm::DataType bucket_type(at::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kDouble: return comm::DataType::kFloat64;
    case at::kFloat:
    case at::kBFloat16:
    case at::kHalf: return comm::DataType::kFloat32;
    default:
      throw UsageError(fmt::format(
          "parameter '{}' is {}; gradients are averaged for float32, float64, bfloat16 and float16 parameters", name,
          c10::toString(type)));
  }
}

}  // namespace

GradSync::GradSync(comm::Communicator& comm, NamedTensors params, size_t bucket_bytes)
    : comm_(comm), params_(std::move(params)) {
  check_same_everywhere(comm_, params_, "learner parameters");
  if (params_.empty()) return;
  const at::Device device = params_.front().second.device();
  for (const auto& [name, param] : params_) {
    bucket_type(param.scalar_type(), name);  // throws for a dtype that cannot be averaged
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
    const comm::DataType type = bucket_type(param.scalar_type(), params_[i].first);
    const size_t bytes = static_cast<size_t>(param.numel()) * comm::size_of(type);
    if (!open.slots.empty() && (open.type != type || open_bytes + bytes > bucket_bytes)) close();
    if (open.slots.empty()) open.type = type;
    const bool widened = param.scalar_type() != (type == comm::DataType::kFloat32 ? at::kFloat : at::kDouble);
    open.slots.push_back(Slot{i, static_cast<int64_t>(open_bytes / comm::size_of(type)), widened});
    open_bytes += bytes;
    total_bytes_ += bytes;
  }
  close();

  written_.assign(params_.size(), 0);
  hooks_.assign(params_.size(), kNoHook);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    for (size_t slot = 0; slot < buckets_[b].slots.size(); ++slot) {
      const size_t index = buckets_[b].slots[slot].param;
      const at::Tensor& param = params_[index].second;
      // A parameter that does not require gradients has no hook; its bucket starts in sync().
      if (!param.requires_grad()) continue;
      hooks_[index] = param.register_hook([this, b, slot](const at::Tensor& grad) { on_gradient(b, slot, grad); });
    }
  }
}

GradSync::~GradSync() {
  for (size_t i = 0; i < hooks_.size(); ++i) {
    if (hooks_[i] != kNoHook) params_[i].second.remove_hook(hooks_[i]);
  }
}

void GradSync::arm() {
  at::NoGradGuard no_grad;
  armed_ = true;
  owner_ = std::this_thread::get_id();
  // Gradients that still alias their bucket slot (zeroed in place since the last sync) would be accumulated
  // by autograd into a bucket that is being all-reduced: give them storage of their own for this backward.
  for (const Bucket& bucket : buckets_) {
    for (const Slot& slot : bucket.slots) {
      at::Tensor param = params_[slot.param].second;
      const at::Tensor& grad = param.grad();
      if (grad.defined() && grad.data_ptr() == bucket.flat.narrow(0, slot.offset, param.numel()).data_ptr()) {
        param.mutable_grad() = grad.clone();
      }
    }
  }
}

void GradSync::on_gradient(size_t bucket_index, size_t slot_index, const at::Tensor& incoming) {
  if (!armed_) return;
  at::NoGradGuard no_grad;
  Bucket& bucket = buckets_[bucket_index];
  const Slot& slot = bucket.slots[slot_index];
  if (written_[slot.param] != 0) return;  // a leaf's hook runs once per backward; be safe anyway
  const at::Tensor& param = params_[slot.param].second;
  at::Tensor part = bucket.flat.narrow(0, slot.offset, param.numel());
  const at::Tensor& grad = param.grad();
  // What .grad() will hold once autograd has added `incoming` (earlier micro-batches plus this one); a widened
  // slot adds the two bf16/fp16 terms in float32.
  if (grad.defined() && slot.widened) {
    part.copy_(grad.reshape({-1}));
    part.add_(incoming.reshape({-1}));
  } else if (grad.defined()) {
    at::add_out(part, grad.reshape({-1}), incoming.reshape({-1}));
  } else {
    part.copy_(incoming.reshape({-1}));
  }
  written_[slot.param] = 1;
  ++bucket.filled;
  if (std::this_thread::get_id() == owner_ || comm_.starts_off_thread(bucket.flat.data_ptr())) start_ready(false);
}

void GradSync::start(Bucket& bucket) {
  comm::CollectiveOptions options;
  if (bucket.flat.is_cuda()) {
    // The bucket was written on the stream backward runs on (in this thread); NCCL starts after that work.
    options.producer_stream = at::accelerator::getCurrentStream(bucket.flat.device().index()).native_handle();
  }
  bucket.work = comm_.start_all_reduce(bucket.flat.data_ptr(), static_cast<size_t>(bucket.flat.numel()), bucket.type,
                                       comm::ReduceOp::kAvg, options);
}

void GradSync::start_ready(bool all) {
  while (next_start_ < buckets_.size()) {
    Bucket& bucket = buckets_[next_start_];
    if (!all && bucket.filled < bucket.slots.size()) return;
    if (all) {
      for (const Slot& slot : bucket.slots) {
        if (written_[slot.param] != 0) continue;
        const at::Tensor& grad = params_[slot.param].second.grad();
        const at::Tensor part = bucket.flat.narrow(0, slot.offset, params_[slot.param].second.numel());
        if (!grad.defined()) {
          part.zero_();
        } else if (grad.data_ptr() != part.data_ptr()) {
          part.copy_(grad.reshape({-1}));
        }  // else: the gradient already lives in the bucket (see sync()); nothing to copy
      }
    }
    start(bucket);
    ++next_start_;
  }
}

void GradSync::sync() {
  at::NoGradGuard no_grad;
  started_in_backward_ = next_start_;
  start_ready(true);
  for (Bucket& bucket : buckets_) {
    bucket.work->wait();
    bucket.work.reset();
    for (const Slot& slot : bucket.slots) {
      at::Tensor param = params_[slot.param].second;
      const at::Tensor part = bucket.flat.narrow(0, slot.offset, param.numel());
      if (slot.widened) {
        // Rounded once, from the float32 average. In place where possible, so a gradient the caller holds stays
        // the parameter's gradient.
        if (param.grad().defined()) {
          param.mutable_grad().copy_(part.view(param.sizes()));
        } else {
          param.mutable_grad() = part.view(param.sizes()).to(param.scalar_type());
        }
        continue;
      }
      // Point the gradient at its place in the bucket. Autograd accumulates into an existing gradient in
      // place, so as long as the learner zeroes gradients in place the next backward writes straight into the
      // bucket and the copy above is skipped.
      if (!param.grad().defined() || param.grad().data_ptr() != part.data_ptr()) {
        param.mutable_grad() = part.view(param.sizes());
      }
    }
    bucket.filled = 0;
  }
  std::fill(written_.begin(), written_.end(), 0);
  next_start_ = 0;
  armed_ = false;
}

}  // namespace spct::distributed
