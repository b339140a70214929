// Compiled with OpenMP (learner/CMakeLists.txt): at::parallel_for's regions are OpenMP pragmas in ATen's headers,
// so without it this file's loop would run on one thread; `omp simd` vectorises the loop at -O2. And without
// floating-point contraction, so that the vector loop and its scalar remainder round alike (adamw_cpu.h).
#include "learner/adamw_cpu.h"

#include <ATen/Parallel.h>
#include <c10/core/TensorImpl.h>
#include <c10/util/BFloat16.h>

#include <cmath>
#include <cstdint>

#include "core/bfloat16_bits.h"

namespace spct::learner {
namespace {

// Elements per task of the parallel loop: 28 bytes each, so a task moves 1.8 MB.
constexpr int64_t kGrain = int64_t{1} << 16;

struct Coefficients {
  float grad_scale;
  float keep;       // 1 - lr * weight_decay; 1 (exact: p * 1 == p) without decay
  bool small_lerp;  // 1 - beta1 < 0.5: ATen's lerp formula for a small weight
  float lerp;       // 1 - beta1
  float lerp_rest;  // 1 - (1 - beta1), the large-weight formula's factor
  float beta2;
  float new_square;  // 1 - beta2
  float bias2_sqrt;  // sqrt(1 - beta2^t)
  float eps;
  float neg_step;  // -lr / (1 - beta1^t)
};

// Every constant is computed in double and rounded to float once, as ATen rounds a Scalar operand for a float
// tensor.
Coefficients coefficients(const AdamWOptions& o, int64_t step, double grad_scale) {
  const double t = static_cast<double>(step);
  const double lerp = 1.0 - o.beta1;
  return Coefficients{.grad_scale = static_cast<float>(grad_scale),
                      .keep = static_cast<float>(1.0 - o.lr * o.weight_decay),
                      .small_lerp = std::abs(lerp) < 0.5,
                      .lerp = static_cast<float>(lerp),
                      .lerp_rest = 1.0F - static_cast<float>(lerp),
                      .beta2 = static_cast<float>(o.beta2),
                      .new_square = static_cast<float>(1.0 - o.beta2),
                      .bias2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(o.beta2, t))),
                      .eps = static_cast<float>(o.eps),
                      .neg_step = static_cast<float>(-o.lr / (1.0 - std::pow(o.beta1, t)))};
}

float widen(float g) {
  return g;
}

float widen(uint16_t bfloat16_bits) {
  return widen_bfloat16(bfloat16_bits);
}

// The constants are copied into locals: read through the struct, every store to the float arrays could change
// them (as far as the compiler knows), which keeps the loop from vectorising.
template <typename Grad, bool kRounded, bool kSmallLerp>
void update_range(const Coefficients& c, float* p, const Grad* g, float* m, float* v, uint16_t* rounded, int64_t n) {
  const float grad_scale = c.grad_scale, keep = c.keep, lerp = c.lerp, lerp_rest = c.lerp_rest, beta2 = c.beta2,
              new_square = c.new_square;
  const float bias2_sqrt = c.bias2_sqrt, eps = c.eps, neg_step = c.neg_step;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float grad = widen(g[i]) * grad_scale;
    const float avg = kSmallLerp ? m[i] + lerp * (grad - m[i]) : grad - (grad - m[i]) * lerp_rest;
    const float avg_sq = v[i] * beta2 + (new_square * grad) * grad;
    const float denom = std::sqrt(avg_sq) / bias2_sqrt + eps;
    const float param = p[i] * keep + (neg_step * avg) / denom;
    p[i] = param;
    m[i] = avg;
    v[i] = avg_sq;
    if constexpr (kRounded) rounded[i] = round_to_bfloat16(param);
  }
}

template <typename Grad, bool kRounded>
void update_all(const Coefficients& c, float* p, const Grad* g, float* m, float* v, uint16_t* rounded, int64_t n) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    uint16_t* out = kRounded ? rounded + begin : nullptr;
    if (c.small_lerp) {
      update_range<Grad, kRounded, true>(c, p + begin, g + begin, m + begin, v + begin, out, end - begin);
    } else {
      update_range<Grad, kRounded, false>(c, p + begin, g + begin, m + begin, v + begin, out, end - begin);
    }
  });
}

bool float32_like(const at::Tensor& t, const at::Tensor& param) {
  return t.defined() && t.is_cpu() && t.is_contiguous() && t.scalar_type() == at::kFloat && t.numel() == param.numel();
}

}  // namespace

bool adamw_cpu_applies(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& exp_avg,
                       const at::Tensor& exp_avg_sq, const at::Tensor& rounded) {
  if (!float32_like(param, param) || !float32_like(exp_avg, param) || !float32_like(exp_avg_sq, param)) return false;
  const bool grad_ok = grad.defined() && grad.is_cpu() && grad.is_contiguous() && grad.numel() == param.numel() &&
                       (grad.scalar_type() == at::kFloat || grad.scalar_type() == at::kBFloat16);
  const bool rounded_ok =
      !rounded.defined() || (rounded.is_cpu() && rounded.is_contiguous() && rounded.scalar_type() == at::kBFloat16 &&
                             rounded.numel() == param.numel());
  return grad_ok && rounded_ok;
}

void adamw_cpu_update(const AdamWOptions& options, int64_t step, double grad_scale, at::Tensor& param,
                      const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq, at::Tensor& rounded) {
  const Coefficients c = coefficients(options, step, grad_scale);
  float* p = param.data_ptr<float>();
  float* m = exp_avg.data_ptr<float>();
  float* v = exp_avg_sq.data_ptr<float>();
  auto* out = rounded.defined() ? reinterpret_cast<uint16_t*>(rounded.data_ptr<c10::BFloat16>()) : nullptr;
  const int64_t n = param.numel();
  if (grad.scalar_type() == at::kBFloat16) {
    const auto* g = reinterpret_cast<const uint16_t*>(grad.const_data_ptr<c10::BFloat16>());
    out != nullptr ? update_all<uint16_t, true>(c, p, g, m, v, out, n)
                   : update_all<uint16_t, false>(c, p, g, m, v, out, n);
  } else {
    const float* g = grad.const_data_ptr<float>();
    out != nullptr ? update_all<float, true>(c, p, g, m, v, out, n) : update_all<float, false>(c, p, g, m, v, out, n);
  }
  // Written through raw pointers, which ATen's version counters do not see: a packed copy of a weight for
  // generation (models/packed_weight.h) and autograd's saved-tensor checks key on them.
  for (at::Tensor* written : {&param, &exp_avg, &exp_avg_sq, &rounded}) {
    if (written->defined()) written->unsafeGetTensorImpl()->bump_version();
  }
}

}  // namespace spct::learner
