#include "kernel_timer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>

namespace spct::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The ops whose time counts as kernel time: every projection (at::linear, or oneDNN's for float32) and the
// attention itself (the fused kernel, or the decode step's written-out attention, a user scope).
bool is_kernel(const char* name) {
  for (const char* kernel : {"aten::linear", "mkldnn::_linear_pointwise", "aten::matmul", "aten::mm", "aten::addmm",
                             "aten::bmm", "aten::scaled_dot_product_attention", "spct::eager_attention"}) {
    if (std::strcmp(name, kernel) == 0) return true;
  }
  return false;
}

thread_local int kernel_depth = 0;
thread_local Clock::time_point kernel_started;
thread_local double kernel_total = 0;
thread_local int op_depth = 0;
thread_local std::map<std::string, OpTime>* by_name = nullptr;  // the live timer's ops_

struct Context : at::ObserverContext {
  bool kernel = false;
  Clock::time_point started;  // set for an outermost op
};

std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction& fn) {
  const bool kernel = is_kernel(fn.name());
  // Without the tally only kernels need a context (as cheap as the timer was before it had one).
  if (!kernel && by_name == nullptr) return nullptr;
  auto context = std::make_unique<Context>();
  context->kernel = kernel;
  const Clock::time_point now = Clock::now();
  if (kernel && kernel_depth++ == 0) kernel_started = now;
  if (by_name != nullptr && op_depth++ == 0) context->started = now;
  return context;
}

void on_exit(const at::RecordFunction& fn, at::ObserverContext* observed) {
  if (observed == nullptr) return;
  const auto* context = static_cast<Context*>(observed);
  const Clock::time_point now = Clock::now();
  if (context->kernel && --kernel_depth == 0)
    kernel_total += std::chrono::duration<double>(now - kernel_started).count();
  if (by_name != nullptr && --op_depth == 0) {
    OpTime& op = (*by_name)[fn.name()];
    op.seconds += std::chrono::duration<double>(now - context->started).count();
    ++op.calls;
  }
}

}  // namespace

KernelTimer::KernelTimer(bool by_op) {
  kernel_total = 0;
  kernel_depth = 0;
  op_depth = 0;
  by_name = by_op ? &ops_ : nullptr;
  handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(on_enter, on_exit)
                                           .needsInputs(false)
                                           .scopes({at::RecordScope::FUNCTION, at::RecordScope::USER_SCOPE}));
}

KernelTimer::~KernelTimer() {
  at::removeCallback(handle_);
  by_name = nullptr;
}

double KernelTimer::kernel_seconds() const {
  return kernel_total;
}

std::vector<OpTime> KernelTimer::ops_by_time() const {
  std::vector<OpTime> out;
  for (const auto& [name, op] : ops_) {
    out.push_back(op);
    out.back().name = name;
  }
  std::sort(out.begin(), out.end(), [](const OpTime& a, const OpTime& b) { return a.seconds > b.seconds; });
  return out;
}

}  // namespace spct::bench
