#include "learner/sharded_adamw.h"

#include <ATen/DeviceAccelerator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "core/error.h"
#include "learner/grad_norm.h"
#include "learner/tensor_checks.h"

namespace spct::learner {
namespace {

const char* const kWho = "ZeRO AdamW";

// Runs `fn` after autograd has accumulated a parameter's gradient into its .grad() (what
// Tensor.register_post_accumulate_grad_hook installs in Python): the hook sees the accumulated value, the same
// bits a read of .grad() after backward would, and may drop .grad() at once.
class AfterAccumulate : public torch::autograd::PostAccumulateGradHook {
 public:
  explicit AfterAccumulate(std::function<void()> fn) : fn_(std::move(fn)) {}
  void operator()(const torch::autograd::Variable& /*param*/) override { fn_(); }

 private:
  std::function<void()> fn_;
};

}  // namespace

ShardedAdamW::ShardedAdamW(comm::Communicator& comm, std::vector<at::Tensor> params, const AdamWOptions& options,
                           int stage, int64_t bucket_elements)
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
    if (!params_[i].is_contiguous()) throw UsageError(std::string(kWho) + ": " + name + " is not contiguous");
    if (params_[i].device() != params_[0].device()) {
      throw UsageError(std::string(kWho) + ": " + name + " is on another device than parameter 0");
    }
    if (stage_ == 2 && params_[i].requires_grad() && torch::autograd::impl::post_acc_grad_hooks(params_[i])) {
      throw UsageError(std::string(kWho) + ": " + name + " already has a post-accumulate-grad hook");
    }
    total_ += params_[i].numel();
    if (i > 0 && type != gather_type_) gather_type_ = at::kFloat;
    if (i == 0) gather_type_ = type;
    if (type != at::kFloat) keep_master_ = true;
  }

  // Buckets in reverse parameter order, the order backward produces gradients in (as GradSync's).
  const int64_t shards = comm_.size();
  Bucket open;
  const auto close = [&] {
    if (open.slots.empty()) return;
    open.piece = (open.elements + shards - 1) / shards;
    open.shard_offset = chunk_;
    chunk_ += open.piece;
    buckets_.push_back(std::move(open));
    open = Bucket{};
  };
  for (size_t i = params_.size(); i-- > 0;) {
    const int64_t numel = params_[i].numel();
    if (!open.slots.empty() && bucket_elements > 0 && open.elements + numel > bucket_elements) close();
    open.slots.push_back(Slot{i, open.elements});
    open.elements += numel;
  }
  close();

  const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat).device(params_[0].device());
  // The padding of each bucket's last piece stays zero: zero gradient, zero moments, zero weight.
  if (keep_master_) {
    master_ = at::zeros({chunk_}, f32);
    for (const Bucket& bucket : buckets_) {
      copy_piece(params_, bucket, master_.narrow(0, bucket.shard_offset, bucket.piece));
    }
  }
  exp_avg_ = at::zeros({chunk_}, f32);
  exp_avg_sq_ = at::zeros({chunk_}, f32);

  hooked_.assign(params_.size(), 0);
  written_.assign(params_.size(), 0);
  if (stage_ != 2) return;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    for (size_t slot = 0; slot < buckets_[b].slots.size(); ++slot) {
      const size_t index = buckets_[b].slots[slot].param;
      // A parameter that does not require gradients has no hook; its bucket starts in reduce_gradients().
      if (!params_[index].requires_grad()) continue;
      torch::autograd::impl::set_post_acc_grad_hooks(
          params_[index], std::make_unique<AfterAccumulate>([this, b, slot] { on_gradient(b, slot); }));
      hooked_[index] = 1;
    }
  }
}

ShardedAdamW::~ShardedAdamW() {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (hooked_[i] != 0) torch::autograd::impl::set_post_acc_grad_hooks(params_[i], nullptr);
  }
  // A pending reduce-scatter still writes into grad_: finish it while grad_ lives.
  for (Bucket& bucket : buckets_) bucket.work.reset();
}

template <class Fn>
void ShardedAdamW::for_each_part(const std::vector<at::Tensor>& params, const Bucket& bucket, int64_t begin,
                                 int64_t count, Fn fn) {
  for (const Slot& slot : bucket.slots) {
    const int64_t lo = std::max(slot.offset, begin);
    const int64_t hi = std::min(slot.offset + params[slot.param].numel(), begin + count);
    if (hi > lo) fn(slot, lo - slot.offset, lo - begin, hi - lo);
  }
}

void ShardedAdamW::copy_piece(const std::vector<at::Tensor>& tensors, const Bucket& bucket, at::Tensor into) const {
  const int64_t begin = int64_t{comm_.rank()} * bucket.piece;
  for_each_part(params_, bucket, begin, bucket.piece,
                [&](const Slot& slot, int64_t in_param, int64_t in_piece, int64_t count) {
                  const at::Tensor& from = tensors[slot.param];
                  if (!from.defined()) return;
                  into.narrow(0, in_piece, count).copy_(from.reshape(-1).narrow(0, in_param, count));
                });
}

void ShardedAdamW::arm() {
  if (stage_ != 2) throw UsageError("ZeRO AdamW: arm() is for stage 2; at stage 1 GradSync reduces the gradients");
  armed_ = true;
  owner_ = std::this_thread::get_id();
  if (!grad_.defined()) grad_ = at::zeros({chunk_}, exp_avg_.options());
}

void ShardedAdamW::on_gradient(size_t bucket_index, size_t slot_index) {
  if (!armed_) return;  // an earlier micro-batch: .grad() accumulates
  const at::NoGradGuard no_grad;
  Bucket& bucket = buckets_[bucket_index];
  const Slot& slot = bucket.slots[slot_index];
  if (written_[slot.param] != 0) return;  // a leaf's hook runs once per backward; be safe anyway
  at::Tensor param = params_[slot.param];
  if (!bucket.flat.defined()) bucket.flat = at::zeros({bucket.piece * comm_.size()}, exp_avg_.options());
  if (param.grad().defined()) {
    bucket.flat.narrow(0, slot.offset, param.numel()).copy_(param.grad().reshape({-1}));
  }
  // The bucket owns the values now: the parameter's full gradient goes as soon as it is complete.
  param.mutable_grad() = at::Tensor();
  written_[slot.param] = 1;
  ++bucket.filled;
  if (on_owner_thread()) {
    start_ready(false);
    reap(true);
  } else if (comm_.starts_off_thread(bucket.flat.data_ptr())) {
    start_ready(false);
  }
}

void ShardedAdamW::start_ready(bool all) {
  while (next_start_ < buckets_.size()) {
    Bucket& bucket = buckets_[next_start_];
    if (!all && bucket.filled < bucket.slots.size()) return;
    if (!bucket.flat.defined()) bucket.flat = at::zeros({bucket.piece * comm_.size()}, exp_avg_.options());
    if (all) {
      // What the hooks did not write: gradients of a backward that was not armed, or parameters without one
      // (zeros, as the buffer starts).
      for (const Slot& slot : bucket.slots) {
        if (written_[slot.param] != 0) continue;
        at::Tensor param = params_[slot.param];
        if (!param.grad().defined()) continue;
        bucket.flat.narrow(0, slot.offset, param.numel()).copy_(param.grad().reshape({-1}));
        param.mutable_grad() = at::Tensor();
      }
    }
    comm::CollectiveOptions options;
    if (bucket.flat.is_cuda()) {
      // The bucket was written on the stream backward runs on (in this thread); NCCL starts after that work.
      options.producer_stream = at::accelerator::getCurrentStream(bucket.flat.device().index()).native_handle();
    }
    bucket.work = comm_.start_reduce_scatter(
        bucket.flat.data_ptr(), grad_.narrow(0, bucket.shard_offset, bucket.piece).data_ptr(),
        static_cast<size_t>(bucket.piece), comm::DataType::kFloat32, comm::ReduceOp::kAvg, options);
    ++next_start_;
    if (all) reap(true);
  }
}

void ShardedAdamW::reap(bool limit) {
  while (next_finish_ < next_start_) {
    Bucket& bucket = buckets_[next_finish_];
    if (limit && next_start_ - next_finish_ > kInFlight) {
      bucket.work->wait();
    } else if (!bucket.work->poll()) {
      return;  // started collectives complete in start order: the later ones are pending too
    }
    bucket.work.reset();
    bucket.flat = at::Tensor();
    ++next_finish_;
  }
}

double ShardedAdamW::reduce_gradients() {
  const at::NoGradGuard no_grad;
  owner_ = std::this_thread::get_id();
  if (!grad_.defined()) grad_ = at::zeros({chunk_}, exp_avg_.options());
  if (stage_ == 1) {
    std::vector<at::Tensor> grads;
    for (const at::Tensor& p : params_) grads.push_back(p.grad());
    for (const Bucket& bucket : buckets_) {
      copy_piece(grads, bucket, grad_.narrow(0, bucket.shard_offset, bucket.piece));
    }
  } else {
    started_in_backward_ = next_start_;
    start_ready(true);
    for (; next_finish_ < buckets_.size(); ++next_finish_) {
      Bucket& bucket = buckets_[next_finish_];
      bucket.work->wait();
      bucket.work.reset();
      bucket.flat = at::Tensor();
    }
    for (Bucket& bucket : buckets_) bucket.filled = 0;
    std::fill(written_.begin(), written_.end(), 0);
    next_start_ = 0;
    next_finish_ = 0;
    armed_ = false;
  }
  // The full gradients are not needed past this point: free them before the update.
  for (const at::Tensor& p : params_) {
    at::Tensor param = p;
    param.mutable_grad() = at::Tensor();
  }
  // Summed in float64 a bounded piece at a time: a float64 copy of the whole shard would be the step's largest
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
  const double scale = clip_coefficient(norm, max_norm);
  if (scale == 1.0) return;
  const at::NoGradGuard no_grad;
  grad_.mul_(scale);
}

void ShardedAdamW::step() {
  const at::NoGradGuard no_grad;
  ++step_;
  // float32 parameters are their own masters: their pieces are read back from them for the update.
  at::Tensor master = master_;
  if (!keep_master_) {
    master = at::zeros({chunk_}, exp_avg_.options());
    for (const Bucket& bucket : buckets_) {
      copy_piece(params_, bucket, master.narrow(0, bucket.shard_offset, bucket.piece));
    }
  }
  adamw_update(options_, step_, master, grad_, exp_avg_, exp_avg_sq_);
  grad_ = at::Tensor();
  // Every learner's updated pieces into every parameter (rounded to its dtype).
  gather_buckets(master.to(gather_type_).contiguous(), params_);
}

void ShardedAdamW::gather_buckets(const at::Tensor& shard, const std::vector<at::Tensor>& into) {
  const at::NoGradGuard no_grad;
  // One bucket at a time: the gathered bucket is laid out as the parameters' slots, so only one bucket-sized
  // buffer exists at a time.
  for (const Bucket& bucket : buckets_) {
    at::Tensor all = at::empty({bucket.piece * comm_.size()}, shard.options());
    comm_.all_gather(shard.narrow(0, bucket.shard_offset, bucket.piece).data_ptr(), all.data_ptr(),
                     static_cast<size_t>(bucket.piece) * shard.element_size());
    if (into.empty()) continue;
    for (const Slot& slot : bucket.slots) {
      at::Tensor target = into[slot.param];
      target.view(-1).copy_(all.narrow(0, slot.offset, target.numel()));
    }
  }
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
  const auto gather = [&](const at::Tensor& shard) {
    std::vector<at::Tensor> out;
    if (keep) {
      for (const at::Tensor& p : params_) out.push_back(at::zeros(p.sizes(), shard.options()));
    }
    gather_buckets(shard, out);
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
  // Every learner reads the whole state and keeps its pieces: the state is the same whatever learner count,
  // stage or bucket size wrote it (or unsharded AdamW), so a run resumes with another learner count or stage.
  const at::NoGradGuard no_grad;
  for (const Bucket& bucket : buckets_) {
    copy_piece(avg, bucket, exp_avg_.narrow(0, bucket.shard_offset, bucket.piece));
    copy_piece(avg_sq, bucket, exp_avg_sq_.narrow(0, bucket.shard_offset, bucket.piece));
    if (keep_master_) copy_piece(master, bucket, master_.narrow(0, bucket.shard_offset, bucket.piece));
  }
  step_ = step.item<int64_t>();
}

}  // namespace spct::learner
