#include "learner/sharded_adamw.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <cmath>
#include <map>
#include <string>

#include "core/error.h"
#include "learner/tensor_checks.h"

namespace spct::learner {
namespace {

const char* const kWho = "ZeRO AdamW";

// The part of parameter [offset, offset + numel) that falls in the slice [begin, begin + chunk), as (element
// offset in the parameter, element offset in the slice, count); count 0 when they do not meet.
struct Overlap {
  int64_t in_param = 0;
  int64_t in_slice = 0;
  int64_t count = 0;
};
Overlap overlap(int64_t offset, int64_t numel, int64_t begin, int64_t chunk) {
  const int64_t lo = std::max(offset, begin);
  const int64_t hi = std::min(offset + numel, begin + chunk);
  if (hi <= lo) return {};
  return {lo - offset, lo - begin, hi - lo};
}

}  // namespace

ShardedAdamW::ShardedAdamW(comm::Communicator& comm, std::vector<at::Tensor> params, const AdamWOptions& options,
                           int stage)
    : comm_(comm), params_(std::move(params)), options_(options), stage_(stage) {
  if (stage_ != 1 && stage_ != 2) throw UsageError("ZeRO AdamW: stage " + std::to_string(stage_) + " is not 1 or 2");
  check_adamw_options(options_);
  if (params_.empty()) throw UsageError("ZeRO AdamW: no parameters");
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string name = "parameter " + std::to_string(i);
    require_floating(kWho, name.c_str(), params_[i]);
    const at::ScalarType type = params_[i].scalar_type();
    if (type != at::kFloat && type != at::kBFloat16 && type != at::kHalf) {
      throw UsageError(std::string(kWho) + ": " + name + " is " + std::string(c10::toString(type)) +
                       "; sharding takes float32, bfloat16 and float16 parameters");
    }
    if (params_[i].device() != params_[0].device()) {
      throw UsageError(std::string(kWho) + ": " + name + " is on another device than parameter 0");
    }
    offsets_.push_back(total_);
    total_ += params_[i].numel();
    if (i > 0 && type != gather_type_) gather_type_ = at::kFloat;
    if (i == 0) gather_type_ = type;
  }
  const int64_t shards = comm_.size();
  chunk_ = (total_ + shards - 1) / shards;
  begin_ = int64_t{comm_.rank()} * chunk_;
  const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat).device(params_[0].device());
  // The padding past N (last learner only) stays zero: zero gradient, zero moments, zero weight.
  master_ = at::zeros({chunk_}, f32);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Overlap o = overlap(offsets_[i], params_[i].numel(), begin_, chunk_);
    if (o.count == 0) continue;
    master_.narrow(0, o.in_slice, o.count).copy_(params_[i].detach().reshape(-1).narrow(0, o.in_param, o.count));
  }
  exp_avg_ = at::zeros({chunk_}, f32);
  exp_avg_sq_ = at::zeros({chunk_}, f32);
  grad_ = at::zeros({chunk_}, f32);
}

double ShardedAdamW::reduce_gradients() {
  const at::NoGradGuard no_grad;
  const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat).device(params_[0].device());
  if (stage_ == 1) {
    grad_.zero_();
    for (size_t i = 0; i < params_.size(); ++i) {
      const at::Tensor& g = params_[i].grad();
      const Overlap o = overlap(offsets_[i], params_[i].numel(), begin_, chunk_);
      if (!g.defined() || o.count == 0) continue;
      grad_.narrow(0, o.in_slice, o.count).copy_(g.reshape(-1).narrow(0, o.in_param, o.count));
    }
  } else {
    // Every learner's whole local gradient, flat and padded; only this learner's slice of the average returns.
    at::Tensor flat = at::zeros({chunk_ * comm_.size()}, f32);
    for (size_t i = 0; i < params_.size(); ++i) {
      const at::Tensor& g = params_[i].grad();
      if (g.defined()) flat.narrow(0, offsets_[i], params_[i].numel()).copy_(g.reshape(-1));
    }
    comm_.reduce_scatter(flat.data_ptr(), grad_.data_ptr(), static_cast<size_t>(chunk_), comm::DataType::kFloat32,
                         comm::ReduceOp::kAvg);
  }
  // The full gradients are not needed past this point: free them before the update.
  for (const at::Tensor& p : params_) {
    at::Tensor param = p;
    param.mutable_grad() = at::Tensor();
  }
  double squares = grad_.to(at::kDouble).square().sum().item<double>();
  comm_.all_reduce(&squares, 1, comm::DataType::kFloat64, comm::ReduceOp::kSum);
  return std::sqrt(squares);
}

void ShardedAdamW::clip(double norm, double max_norm) {
  if (max_norm <= 0 || !std::isfinite(norm) || norm <= max_norm) return;
  const at::NoGradGuard no_grad;
  grad_.mul_(max_norm / (norm + 1e-6));  // clip_grad_norm's rule (learner/grad_norm.cpp)
}

void ShardedAdamW::step() {
  const at::NoGradGuard no_grad;
  ++step_;
  const AdamWOptions& o = options_;
  const double t = static_cast<double>(step_);
  const double bias1 = 1.0 - std::pow(o.beta1, t);
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, t));
  const double step_size = o.lr / bias1;
  // The ops of AdamW::step (learner/optimizer.cpp), on the slice.
  if (o.weight_decay != 0) master_.mul_(1.0 - o.lr * o.weight_decay);
  exp_avg_.lerp_(grad_, 1.0 - o.beta1);
  exp_avg_sq_.mul_(o.beta2).addcmul_(grad_, grad_, 1.0 - o.beta2);
  const at::Tensor denom = exp_avg_sq_.sqrt().div_(bias2_sqrt).add_(o.eps);
  master_.addcdiv_(exp_avg_, denom, -step_size);

  gather_parameters();
}

void ShardedAdamW::gather_parameters() {
  const at::NoGradGuard no_grad;
  const at::Tensor mine = master_.to(gather_type_).contiguous();
  at::Tensor all = at::empty({chunk_ * comm_.size()}, mine.options());
  comm_.all_gather(mine.data_ptr(), all.data_ptr(), static_cast<size_t>(chunk_) * mine.element_size());
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor param = params_[i];
    param.copy_(all.narrow(0, offsets_[i], param.numel()).view(param.sizes()));
  }
}

void ShardedAdamW::set_lr(double lr) {
  AdamWOptions next = options_;
  next.lr = lr;
  check_adamw_options(next);
  options_ = next;
}

NamedTensors ShardedAdamW::state() const {
  const std::vector<int64_t> layout = {total_, comm_.size(), comm_.rank()};
  NamedTensors out;
  out.emplace_back("step", at::scalar_tensor(step_, at::kLong));
  out.emplace_back("layout", at::tensor(at::ArrayRef<int64_t>(layout), at::kLong));
  out.emplace_back("exp_avg", exp_avg_.clone());
  out.emplace_back("exp_avg_sq", exp_avg_sq_.clone());
  out.emplace_back("master", master_.clone());
  return out;
}

void ShardedAdamW::load_state(const NamedTensors& state) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& [name, tensor] : state) by_name[name] = tensor;
  const auto take = [&](const std::string& name) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      throw InputError(std::string(kWho) + " state: missing entry \"" + name +
                       "\" (a state saved without distributed.zero_stage 1 or 2 cannot resume a sharded run)");
    }
    return it->second;
  };
  const at::Tensor layout = take("layout");
  if (layout.numel() != 3 || at::isFloatingType(layout.scalar_type())) {
    throw InputError(std::string(kWho) + " state: \"layout\" must hold 3 integers, got shape " +
                     shape_string(layout));
  }
  const at::Tensor saved = layout.to(at::kLong).contiguous();
  const int64_t saved_total = saved[0].item<int64_t>();
  const int64_t saved_shards = saved[1].item<int64_t>();
  const int64_t saved_rank = saved[2].item<int64_t>();
  if (saved_shards != comm_.size()) {
    throw InputError(std::string(kWho) + " state: saved by " + std::to_string(saved_shards) +
                     " learners, this run has " + std::to_string(comm_.size()) +
                     "; sharded optimizer state is not re-sharded: resume with " + std::to_string(saved_shards) +
                     " learners");
  }
  if (saved_total != total_ || saved_rank != comm_.rank()) {
    throw InputError(std::string(kWho) + " state: slice " + std::to_string(saved_rank) + " of a " +
                     std::to_string(saved_total) + "-element model, but this is learner " +
                     std::to_string(comm_.rank()) + " of a " + std::to_string(total_) + "-element model");
  }
  const at::Tensor step = take("step");
  if (step.numel() != 1 || at::isFloatingType(step.scalar_type()) || step.item<int64_t>() < 0) {
    throw InputError(std::string(kWho) + " state: \"step\" must be one non-negative integer");
  }
  std::vector<at::Tensor> slices;
  for (const char* name : {"exp_avg", "exp_avg_sq", "master"}) {
    const at::Tensor t = take(name);
    if (t.dim() != 1 || t.size(0) != chunk_ || !at::isFloatingType(t.scalar_type())) {
      throw InputError(std::string(kWho) + " state: \"" + name + "\" has shape " + shape_string(t) + ", expected [" +
                       std::to_string(chunk_) + "]");
    }
    slices.push_back(t);
  }
  const at::NoGradGuard no_grad;
  exp_avg_.copy_(slices[0]);
  exp_avg_sq_.copy_(slices[1]);
  master_.copy_(slices[2]);
  step_ = step.item<int64_t>();
  // Every learner restored its own slice of the masters: gather them so the parameters are the masters rounded.
  gather_parameters();
}

}  // namespace spct::learner
