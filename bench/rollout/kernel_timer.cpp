#include "kernel_timer.h"

#include <chrono>
#include <cstring>
#include <memory>

namespace spct::bench {
namespace {

// The ops whose time counts as kernel time: every projection and the attention itself.
bool is_kernel(const char* name) {
  for (const char* kernel :
       {"aten::linear", "aten::matmul", "aten::mm", "aten::addmm", "aten::bmm", "aten::scaled_dot_product_attention"}) {
    if (std::strcmp(name, kernel) == 0) return true;
  }
  return false;
}

thread_local int depth = 0;
thread_local std::chrono::steady_clock::time_point started;
thread_local double total = 0;

struct Marker : at::ObserverContext {};

std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction& fn) {
  if (!is_kernel(fn.name())) return nullptr;
  if (depth++ == 0) started = std::chrono::steady_clock::now();
  return std::make_unique<Marker>();
}

void on_exit(const at::RecordFunction& /*fn*/, at::ObserverContext* context) {
  if (context == nullptr) return;
  if (--depth == 0) total += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

KernelTimer::KernelTimer() {
  total = 0;
  depth = 0;
  handle_ = at::addThreadLocalCallback(
      at::RecordFunctionCallback(on_enter, on_exit).needsInputs(false).scopes({at::RecordScope::FUNCTION}));
}

KernelTimer::~KernelTimer() {
  at::removeCallback(handle_);
}

double KernelTimer::kernel_seconds() const {
  return total;
}

}  // namespace spct::bench
