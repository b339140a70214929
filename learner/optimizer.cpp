#include "learner/optimizer.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/config/config.h"
#include "core/error.h"
#include "learner/adamw_cpu.h"
#include "learner/tensor_checks.h"

namespace spct::learner {

void check_adamw_options(const AdamWOptions& o) {
  const auto fail = [](const std::string& what) { throw UsageError("AdamW: " + what); };
  if (!(o.lr >= 0) || !std::isfinite(o.lr)) fail("lr " + std::to_string(o.lr) + " must be finite and >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1)) fail("beta1 " + std::to_string(o.beta1) + " not in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) fail("beta2 " + std::to_string(o.beta2) + " not in [0, 1)");
  if (!(o.eps > 0)) fail("eps " + std::to_string(o.eps) + " must be > 0");
  if (!(o.weight_decay >= 0)) fail("weight decay " + std::to_string(o.weight_decay) + " must be >= 0");
}

AdamW::AdamW(std::vector<at::Tensor> params, const AdamWOptions& options)
    : params_(std::move(params)), options_(options) {
  check_adamw_options(options_);
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string name = "parameter " + std::to_string(i);
    require_floating("AdamW", name.c_str(), params_[i]);
    if (!params_[i].is_leaf()) throw Error(ExitCode::kFailure, "AdamW: " + name + " is not a leaf tensor");
    const bool low_precision = params_[i].scalar_type() != at::kFloat && params_[i].scalar_type() != at::kDouble;
    master_.push_back(low_precision ? params_[i].detach().to(at::kFloat, /*non_blocking=*/false, /*copy=*/true)
                                    : at::Tensor());
    const at::Tensor& reference = low_precision ? master_.back() : params_[i];
    exp_avg_.push_back(at::zeros_like(reference));
    exp_avg_sq_.push_back(at::zeros_like(reference));
  }
}

void adamw_update_aten(const AdamWOptions& o, int64_t step, at::Tensor& param, const at::Tensor& grad,
                       at::Tensor& exp_avg, at::Tensor& exp_avg_sq) {
  const double t = static_cast<double>(step);
  const double bias1 = 1.0 - std::pow(o.beta1, t);
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, t));
  const double step_size = o.lr / bias1;
  const auto update = [&](at::Tensor p, const at::Tensor& g, at::Tensor m, at::Tensor v) {
    if (o.weight_decay != 0) p.mul_(1.0 - o.lr * o.weight_decay);
    m.lerp_(g, 1.0 - o.beta1);  // beta1 m + (1 - beta1) g in one pass
    v.mul_(o.beta2).addcmul_(g, g, 1.0 - o.beta2);
    const at::Tensor denom = v.sqrt().div_(bias2_sqrt).add_(o.eps);
    p.addcdiv_(m, denom, -step_size);
  };
  const bool sliceable = param.is_contiguous() && grad.is_contiguous() && exp_avg.is_contiguous() &&
                         exp_avg_sq.is_contiguous() && param.numel() > kAdamWSliceElements;
  if (!sliceable) return update(param, grad, exp_avg, exp_avg_sq);
  const at::Tensor p = param.view(-1), g = grad.view(-1), m = exp_avg.view(-1), v = exp_avg_sq.view(-1);
  for (int64_t begin = 0; begin < p.numel(); begin += kAdamWSliceElements) {
    const int64_t count = std::min(kAdamWSliceElements, p.numel() - begin);
    update(p.narrow(0, begin, count), g.narrow(0, begin, count), m.narrow(0, begin, count), v.narrow(0, begin, count));
  }
}

void adamw_update(const AdamWOptions& o, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg,
                  at::Tensor& exp_avg_sq, at::Tensor rounded, double grad_scale) {
  if (adamw_cpu_applies(param, grad, exp_avg, exp_avg_sq, rounded)) {
    return adamw_cpu_update(o, step, grad_scale, param, grad, exp_avg, exp_avg_sq, rounded);
  }
  at::Tensor g = grad.scalar_type() == param.scalar_type() ? grad : grad.to(param.scalar_type());
  // In place: a scaled copy would cost the largest gradient's size again in memory.
  if (grad_scale != 1.0) g.mul_(grad_scale);
  adamw_update_aten(o, step, param, g, exp_avg, exp_avg_sq);
  if (rounded.defined()) rounded.copy_(param);  // round to nearest into the parameter's dtype
}

namespace {

// A copy of `t` in a new tensor on `device`; pinned host memory when it leaves a GPU for the host. Blocking, so
// the source may be freed (and its blocks returned to the device) as soon as this returns.
at::Tensor moved(const at::Tensor& t, at::Device device) {
  if (!t.defined()) return t;
  const bool pin = device.is_cpu() && t.is_cuda();
  at::Tensor out = at::empty(t.sizes(), t.options().device(device).pinned_memory(pin));
  out.copy_(t);
  return out;
}

}  // namespace

void AdamW::offload_state() {
  if (offloaded_) return;
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    master_[i] = moved(master_[i], at::kCPU);
    exp_avg_[i] = moved(exp_avg_[i], at::kCPU);
    exp_avg_sq_[i] = moved(exp_avg_sq_[i], at::kCPU);
  }
  offloaded_ = true;
}

void AdamW::reload_state() {
  if (!offloaded_) return;
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Device device = params_[i].device();
    master_[i] = moved(master_[i], device);
    exp_avg_[i] = moved(exp_avg_[i], device);
    exp_avg_sq_[i] = moved(exp_avg_sq_[i], device);
  }
  offloaded_ = false;
}

int64_t AdamW::state_bytes() const {
  int64_t bytes = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    for (const at::Tensor* t : {&master_[i], &exp_avg_[i], &exp_avg_sq_[i]}) {
      if (t->defined()) bytes += static_cast<int64_t>(t->nbytes());
    }
  }
  return bytes;
}

void AdamW::step(double grad_scale) {
  if (offloaded_) throw Error(ExitCode::kFailure, "AdamW: step() while the state is offloaded (reload_state first)");
  const at::NoGradGuard no_grad;
  ++step_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& grad = params_[i].grad();
    if (!grad.defined()) continue;
    // Tensor handles share storage: updating the copy updates the caller's parameter.
    at::Tensor p = master_[i].defined() ? master_[i] : params_[i];
    adamw_update(options_, step_, p, grad, exp_avg_[i], exp_avg_sq_[i],
                 master_[i].defined() ? params_[i] : at::Tensor(), grad_scale);
  }
}

void AdamW::zero_grad() {
  for (const at::Tensor& p : params_) {
    // mutable_grad() is the only way to reset a gradient through a const handle that shares the tensor.
    at::Tensor param = p;
    param.mutable_grad() = at::Tensor();
  }
}

void AdamW::set_lr(double lr) {
  AdamWOptions next = options_;
  next.lr = lr;
  check_adamw_options(next);
  options_ = next;
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  out.emplace_back("step", at::scalar_tensor(step_, at::kLong));
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back("exp_avg." + std::to_string(i), exp_avg_[i]);
    out.emplace_back("exp_avg_sq." + std::to_string(i), exp_avg_sq_[i]);
    if (master_[i].defined()) out.emplace_back("master." + std::to_string(i), master_[i]);
  }
  return out;
}

void AdamW::load_state(const NamedTensors& state) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& [name, tensor] : state) {
    if (!by_name.emplace(name, tensor).second) throw InputError("AdamW state: duplicate entry \"" + name + "\"");
  }
  const auto take = [&](const std::string& name) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) throw InputError("AdamW state: missing entry \"" + name + "\"");
    at::Tensor t = it->second;
    by_name.erase(it);
    return t;
  };
  const at::Tensor step = take("step");
  if (step.numel() != 1 || at::isFloatingType(step.scalar_type()) || step.item<int64_t>() < 0) {
    throw InputError("AdamW state: \"step\" must be one non-negative integer, got shape " + shape_string(step));
  }
  // Check everything before changing anything, so a bad checkpoint leaves the optimizer as it was.
  const auto check_shape = [&](const std::string& name, const at::Tensor& t, size_t i) {
    if (!t.defined() || t.sizes() != params_[i].sizes() || !at::isFloatingType(t.scalar_type())) {
      throw InputError("AdamW state: \"" + name + "\" has shape " + shape_string(t) + ", parameter " +
                       std::to_string(i) + " has " + shape_string(params_[i]));
    }
    return t;
  };
  std::vector<at::Tensor> avg, avg_sq, master(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string index = std::to_string(i);
    avg.push_back(check_shape("exp_avg." + index, take("exp_avg." + index), i));
    avg_sq.push_back(check_shape("exp_avg_sq." + index, take("exp_avg_sq." + index), i));
    // A float32 parameter has no master; a 16-bit one without a saved master (an earlier version's state)
    // starts its master from the parameter.
    const std::string master_name = "master." + index;
    if (master_[i].defined() && by_name.count(master_name) != 0) {
      master[i] = check_shape(master_name, take(master_name), i);
    }
  }
  if (!by_name.empty()) {
    throw InputError("AdamW state: unexpected entry \"" + by_name.begin()->first + "\" (state of " +
                     std::to_string(params_.size()) + " parameters expected)");
  }
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    exp_avg_[i].copy_(avg[i]);
    exp_avg_sq_[i].copy_(avg_sq[i]);
    if (master_[i].defined()) master_[i].copy_(master[i].defined() ? master[i] : params_[i].detach());
  }
  step_ = step.item<int64_t>();
}

AdamWOptions adamw_options_from_config(const config::GrpoSection& grpo) {
  return AdamWOptions{.lr = grpo.lr,
                      .beta1 = grpo.adam_beta1,
                      .beta2 = grpo.adam_beta2,
                      .eps = grpo.adam_eps,
                      .weight_decay = grpo.weight_decay};
}

}  // namespace spct::learner
