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
                           int stage, int64_t bucket_elements)
    : comm_(comm), params_(std::move(params)), bucket_elements_(bucket_elements), options_(options), stage_(stage) {
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
    if (!params_[i].is_contiguous()) throw UsageError(std::string(kWho) + ": " + name + " is not contiguous");
    if (params_[i].device() != params_[0].device()) {
      throw UsageError(std::string(kWho) + ": " + name + " is on another device than parameter 0");
    }
    offsets_.push_back(total_);
    total_ += params_[i].numel();
    if (i > 0 && type != gather_type_) gather_type_ = at::kFloat;
    if (i == 0) gather_type_ = type;
    if (type != at::kFloat) keep_master_ = true;
  }
  const int64_t shards = comm_.size();
  chunk_ = (total_ + shards - 1) / shards;
  begin_ = int64_t{comm_.rank()} * chunk_;
  const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat).device(params_[0].device());
  // The padding past N (last learner only) stays zero: zero gradient, zero moments, zero weight.
  if (keep_master_) {
    master_ = at::zeros({chunk_}, f32);
    copy_range(params_, begin_, chunk_, master_);
  }
  exp_avg_ = at::zeros({chunk_}, f32);
  exp_avg_sq_ = at::zeros({chunk_}, f32);
}

void ShardedAdamW::copy_range(const std::vector<at::Tensor>& tensors, int64_t begin, int64_t count,
                              at::Tensor& into) const {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Overlap o = overlap(offsets_[i], params_[i].numel(), begin, count);
    if (!tensors[i].defined() || o.count == 0) continue;
    into.narrow(0, o.in_slice, o.count).copy_(tensors[i].reshape(-1).narrow(0, o.in_param, o.count));
  }
}

int64_t ShardedAdamW::round_elements() const {
  return bucket_elements_ > 0 ? std::max<int64_t>(1, bucket_elements_ / comm_.size()) : chunk_;
}

double ShardedAdamW::reduce_gradients() {
  const at::NoGradGuard no_grad;
  const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat).device(params_[0].device());
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : params_) grads.push_back(p.grad());
  grad_ = at::zeros({chunk_}, f32);
  if (stage_ == 1) {
    copy_range(grads, begin_, chunk_, grad_);
  } else {
    // Rounds of at most bucket_elements_ elements: round k reduce-scatters elements [k, k + n) of every learner's
    // slice, so besides the gradients only one round's flat buffer exists.
    const int64_t shards = comm_.size();
    const int64_t per_round = round_elements();
    for (int64_t k = 0; k < chunk_; k += per_round) {
      const int64_t n = std::min(per_round, chunk_ - k);
      at::Tensor send = at::zeros({n * shards}, f32);
      for (int64_t r = 0; r < shards; ++r) {
        at::Tensor block = send.narrow(0, r * n, n);
        copy_range(grads, r * chunk_ + k, n, block);
      }
      at::Tensor recv = grad_.narrow(0, k, n);  // contiguous: a 1-d slice
      comm_.reduce_scatter(send.data_ptr(), recv.data_ptr(), static_cast<size_t>(n), comm::DataType::kFloat32,
                           comm::ReduceOp::kAvg);
    }
  }
  grads.clear();
  // The full gradients are not needed past this point: free them before the update.
  for (const at::Tensor& p : params_) {
    at::Tensor param = p;
    param.mutable_grad() = at::Tensor();
  }
  // Summed in float64 a bounded piece at a time: a float64 copy of the whole slice would be the step's largest
  // temporary.
  double squares = 0;
  constexpr int64_t kPiece = int64_t{1} << 20;
  for (int64_t k = 0; k < chunk_; k += kPiece) {
    squares += grad_.narrow(0, k, std::min(kPiece, chunk_ - k)).to(at::kDouble).square().sum().item<double>();
  }
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
  // float32 parameters are their own masters: their slice is read back from them for the update.
  at::Tensor master = master_;
  if (!keep_master_) {
    master = at::zeros({chunk_}, exp_avg_.options());
    copy_range(params_, begin_, chunk_, master);
  }
  adamw_update(options_, step_, master, grad_, exp_avg_, exp_avg_sq_);
  grad_ = at::Tensor();
  gather_parameters(master);
}

void ShardedAdamW::gather_rounds(const at::Tensor& slice, const std::vector<at::Tensor>& into) {
  const int64_t shards = comm_.size();
  const int64_t per_round = round_elements();
  // Round k gathers elements [k, k + n) of every learner's slice, so only one round's buffer exists at a time.
  for (int64_t k = 0; k < chunk_; k += per_round) {
    const int64_t n = std::min(per_round, chunk_ - k);
    at::Tensor all = at::empty({n * shards}, slice.options());
    comm_.all_gather(slice.narrow(0, k, n).data_ptr(), all.data_ptr(), static_cast<size_t>(n) * slice.element_size());
    if (into.empty()) continue;
    for (int64_t r = 0; r < shards; ++r) {
      for (size_t i = 0; i < params_.size(); ++i) {
        const Overlap o = overlap(offsets_[i], params_[i].numel(), r * chunk_ + k, n);
        if (o.count == 0) continue;
        at::Tensor target = into[i];
        target.view(-1).narrow(0, o.in_param, o.count).copy_(all.narrow(0, r * n + o.in_slice, o.count));
      }
    }
  }
}

void ShardedAdamW::gather_parameters(const at::Tensor& master) {
  const at::NoGradGuard no_grad;
  gather_rounds(master.to(gather_type_).contiguous(), params_);
}

void ShardedAdamW::set_lr(double lr) {
  AdamWOptions next = options_;
  next.lr = lr;
  check_adamw_options(next);
  options_ = next;
}

NamedTensors ShardedAdamW::state(bool keep) {
  const at::NoGradGuard no_grad;
  // m, v and the masters gathered in turn, straight into per-parameter tensors (none when !keep).
  const auto gather = [&](const at::Tensor& slice) {
    std::vector<at::Tensor> out;
    if (keep) {
      for (const at::Tensor& p : params_) out.push_back(at::zeros(p.sizes(), slice.options()));
    }
    gather_rounds(slice, out);
    return out;
  };
  const std::vector<at::Tensor> avg = gather(exp_avg_);
  const std::vector<at::Tensor> avg_sq = gather(exp_avg_sq_);
  const std::vector<at::Tensor> master = keep_master_ ? gather(master_) : std::vector<at::Tensor>();
  NamedTensors out;
  if (!keep) return out;
  out.emplace_back("step", at::scalar_tensor(step_, at::kLong));
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back("exp_avg." + std::to_string(i), avg[i]);
    out.emplace_back("exp_avg_sq." + std::to_string(i), avg_sq[i]);
    // As AdamW: float32 parameters are their own masters.
    if (params_[i].scalar_type() != at::kFloat) out.emplace_back("master." + std::to_string(i), master[i]);
  }
  return out;
}

void ShardedAdamW::load_state(const NamedTensors& state) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& [name, tensor] : state) {
    if (!by_name.emplace(name, tensor).second) {
      throw InputError(std::string(kWho) + " state: duplicate entry \"" + name + "\"");
    }
  }
  const auto take = [&](const std::string& name) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) throw InputError(std::string(kWho) + " state: missing entry \"" + name + "\"");
    at::Tensor t = it->second;
    by_name.erase(it);
    return t;
  };
  const at::Tensor step = take("step");
  if (step.numel() != 1 || at::isFloatingType(step.scalar_type()) || step.item<int64_t>() < 0) {
    throw InputError(std::string(kWho) + " state: \"step\" must be one non-negative integer, got shape " +
                     shape_string(step));
  }
  // Check everything before changing anything, so a bad checkpoint leaves the optimizer as it was.
  const auto check_shape = [&](const std::string& name, const at::Tensor& t, size_t i) {
    if (!t.defined() || t.sizes() != params_[i].sizes() || !at::isFloatingType(t.scalar_type())) {
      throw InputError(std::string(kWho) + " state: \"" + name + "\" has shape " + shape_string(t) + ", parameter " +
                       std::to_string(i) + " has " + shape_string(params_[i]));
    }
    return t;
  };
  std::vector<at::Tensor> avg, avg_sq, master;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string index = std::to_string(i);
    avg.push_back(check_shape("exp_avg." + index, take("exp_avg." + index), i));
    avg_sq.push_back(check_shape("exp_avg_sq." + index, take("exp_avg_sq." + index), i));
    // A float32 parameter is its own master; a 16-bit one without a saved master starts from the parameter.
    const std::string master_name = "master." + index;
    const bool saved = params_[i].scalar_type() != at::kFloat && by_name.count(master_name) != 0;
    master.push_back(saved ? check_shape(master_name, take(master_name), i) : params_[i].detach());
  }
  if (!by_name.empty()) {
    throw InputError(std::string(kWho) + " state: unexpected entry \"" + by_name.begin()->first + "\" (state of " +
                     std::to_string(params_.size()) + " parameters expected)");
  }
  // Every learner reads the whole state and keeps its slice: the state is the same whatever learner count or
  // stage wrote it (or unsharded AdamW), so a run resumes with another learner count or stage.
  const at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Overlap o = overlap(offsets_[i], params_[i].numel(), begin_, chunk_);
    if (o.count == 0) continue;
    const auto take_slice = [&](at::Tensor& into, const at::Tensor& from) {
      into.narrow(0, o.in_slice, o.count).copy_(from.reshape(-1).narrow(0, o.in_param, o.count));
    };
    take_slice(exp_avg_, avg[i]);
    take_slice(exp_avg_sq_, avg_sq[i]);
    if (keep_master_) take_slice(master_, master[i]);
  }
  step_ = step.item<int64_t>();
}

}  // namespace spct::learner
