// Generation's CPU loops for a decoder layer's element-wise steps (models/layer_kernels_cpu.h) against the ATen
// operations they replace, reached the way the model reaches them: models/layers.h's functions under
// c10::InferenceMode (generation) and under NoGradGuard (ATen's operations, as evaluation outside generation runs).
#include "models/layer_kernels_cpu.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <utility>

#include "models/layers.h"
#include "models/model_config.h"

using namespace spct::models;

namespace {

// f evaluated as generation evaluates it and as ATen's operations do.
template <typename F>
std::pair<at::Tensor, at::Tensor> both_ways(F f) {
  at::Tensor generation, aten;
  {
    const c10::InferenceMode guard;
    generation = f();
  }
  {
    const at::NoGradGuard guard;
    aten = f();
  }
  return {generation, aten};
}

// float32: within `relative` of ATen's (plus a floor for values near zero); bfloat16: at most one bfloat16 step
// apart, and, given enough elements to judge, equal bits for nearly all of them (a kernel with a systematic error
// would differ almost everywhere).
void check_close(const at::Tensor& got, const at::Tensor& want, double relative, double floor = 1e-30) {
  REQUIRE(got.sizes() == want.sizes());
  REQUIRE(got.scalar_type() == want.scalar_type());
  const at::Tensor g = got.to(at::kFloat), w = want.to(at::kFloat);
  if (got.scalar_type() == at::kBFloat16) {
    const at::Tensor step = w.abs() * std::ldexp(1.0, -7) + floor;  // one bfloat16 step at w's magnitude, at most
    CHECK((g - w).abs().le(step).all().item<bool>());
    if (got.numel() >= 1000) CHECK(g.eq(w).to(at::kFloat).mean().item<double>() >= 0.95);
  } else {
    CHECK((g - w).abs().le(w.abs() * relative + floor).all().item<bool>());
  }
}

const double kEps = 1e-6;

}  // namespace

TEST_CASE("generation's RMSNorm equals ATen's to a few float32 roundings, and bfloat16 to one step",
          "[layer_kernels]") {
  at::manual_seed(21);
  // Widths shorter than, equal to and just past the 16 summing lanes, and Qwen2.5-0.5B's 896.
  for (const int64_t width : {int64_t{1}, int64_t{5}, int64_t{16}, int64_t{17}, int64_t{896}}) {
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      INFO("width " << width << ", " << dtype);
      const at::Tensor x = (at::randn({3, 7, width}) * 3).to(dtype);
      const at::Tensor weight = (at::randn({width}) * 0.2 + 1).to(dtype);
      {
        const c10::InferenceMode guard;
        REQUIRE(rms_norm_cpu_applies(x, weight));
      }
      const auto [got, want] = both_ways([&] { return rms_norm(x, weight, kEps); });
      // The sums of squares add in different orders: ~1e-7 apart in float32 at 896 elements, 4e-6 allowed.
      check_close(got, want, 4e-6);
    }
  }
}

TEST_CASE("generation's rotary embedding has ATen's bits, on the transposed view a projection gives",
          "[layer_kernels]") {
  at::manual_seed(22);
  ModelConfig config;
  for (const int64_t head_dim : {int64_t{6}, int64_t{64}}) {
    config.head_dim = head_dim;
    const at::Tensor inverse_frequencies = rope_inverse_frequencies(config, at::kCPU);
    for (const int64_t steps : {int64_t{1}, int64_t{5}}) {
      for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
        INFO("head_dim " << head_dim << ", " << steps << " step(s), " << dtype);
        const int64_t batch = 3, heads = 4;
        // q's columns of a stacked q/k/v product [B, T, (H + 2) D], as [B, H, T, D].
        const at::Tensor stacked = (at::randn({batch, steps, (heads + 2) * head_dim}) * 2).to(dtype);
        const at::Tensor q =
            stacked.narrow(-1, 0, heads * head_dim).view({batch, steps, heads, head_dim}).transpose(1, 2);
        const at::Tensor positions = at::randint(0, 5000, {batch, steps}, at::TensorOptions().dtype(at::kLong));
        // Plain tensors, not structured bindings: the lambda below captures them.
        const std::pair<at::Tensor, at::Tensor> tables = rope_tables(inverse_frequencies, positions, dtype);
        const at::Tensor& cos = tables.first;
        const at::Tensor& sin = tables.second;
        {
          const c10::InferenceMode guard;
          REQUIRE(apply_rope_cpu_applies(q, cos, sin));
        }
        const auto [got, want] = both_ways([&] { return apply_rope(q, cos, sin); });
        CHECK(at::equal(got, want));
        CHECK(got.is_contiguous());
      }
    }
  }
}

TEST_CASE("generation's silu(gate) * up equals ATen's to a few float32 roundings, and bfloat16 to one step",
          "[layer_kernels]") {
  at::manual_seed(23);
  for (const int64_t width : {int64_t{3}, int64_t{64}, int64_t{4864}}) {
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      INFO("width " << width << ", " << dtype);
      // gate and up as the column views of one stacked product, as generation computes them.
      const at::Tensor stacked = (at::randn({2, 5, 2 * width}) * 4).to(dtype);
      const at::Tensor gate = stacked.narrow(-1, 0, width);
      const at::Tensor up = stacked.narrow(-1, width, width);
      {
        const c10::InferenceMode guard;
        REQUIRE(silu_mul_cpu_applies(gate, up));
      }
      const auto [got, want] =
          both_ways([&] { return silu_mul_cpu_applies(gate, up) ? silu_mul_cpu(gate, up) : at::silu(gate) * up; });
      check_close(got, want, 1e-6);
    }
  }
}

TEST_CASE("silu(gate) * up at the edges: zeros, large gates, infinities and NaN", "[layer_kernels]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const at::Tensor gate =
      at::tensor({0.0F, -0.0F, 1e-30F, -1e-30F, 20.0F, -20.0F, 86.0F, -86.0F, 88.0F, 200.0F, inf, nan});
  const at::Tensor up = at::full({gate.numel()}, 3.0F);
  const auto [got, want] =
      both_ways([&] { return silu_mul_cpu_applies(gate, up) ? silu_mul_cpu(gate, up) : at::silu(gate) * up; });
  CHECK(at::allclose(got.narrow(0, 0, 9), want.narrow(0, 0, 9), 1e-6, 1e-30));
  CHECK(got[9].item<float>() == 600.0F);
  CHECK(got[10].item<float>() == inf);
  CHECK(std::isnan(got[11].item<float>()));
  // Below -87 the exponential is taken at -87 (models/vector_math_cpu.h): silu is then ~0 (x e^-87), not x e^x.
  const at::Tensor far = at::tensor({-100.0F, -1000.0F});
  const at::Tensor ones = at::ones({2});
  at::Tensor far_got;
  {
    const c10::InferenceMode guard;
    far_got = silu_mul_cpu(far, ones);
  }
  CHECK(far_got.le(0).all().item<bool>());
  CHECK(far_got.abs().max().item<float>() < 1e-33F);  // |x| e^-87 at most
}

TEST_CASE("a row's RMSNorm has the same bits wherever it sits and however many threads run", "[layer_kernels]") {
  at::manual_seed(24);
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor x = (at::randn({40, 901}) * 2).to(dtype);
    const at::Tensor weight = at::randn({901}).to(dtype);
    const c10::InferenceMode guard;
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    const at::Tensor one = rms_norm_cpu(x, weight, kEps);
    at::set_num_threads(2);
    const at::Tensor two = rms_norm_cpu(x, weight, kEps);
    at::set_num_threads(threads);
    CHECK(at::equal(one, two));
    CHECK(at::equal(rms_norm_cpu(x.narrow(0, 17, 1).clone(), weight, kEps), one.narrow(0, 17, 1)));
  }
}

TEST_CASE("the layer loops take generation's CPU float32 and bfloat16 tensors only", "[layer_kernels]") {
  const at::Tensor x = at::randn({2, 3, 8});
  const at::Tensor w = at::ones({8});
  const at::Tensor cos = at::ones({2, 1, 3, 8}), sin = at::zeros({2, 1, 3, 8});
  const at::Tensor heads = at::randn({2, 4, 3, 8});
  CHECK_FALSE(rms_norm_cpu_applies(x, w));  // outside generation
  CHECK_FALSE(apply_rope_cpu_applies(heads, cos, sin));
  CHECK_FALSE(silu_mul_cpu_applies(x, x));
  const c10::InferenceMode guard;
  CHECK(rms_norm_cpu_applies(x, w));
  CHECK_FALSE(rms_norm_cpu_applies(x.to(at::kHalf), w.to(at::kHalf)));
  CHECK_FALSE(rms_norm_cpu_applies(x.to(at::kDouble), w.to(at::kDouble)));
  CHECK_FALSE(rms_norm_cpu_applies(x, w.to(at::kBFloat16)));  // mixed dtypes
  CHECK_FALSE(rms_norm_cpu_applies(x.transpose(0, 1), w));    // not contiguous
  CHECK_FALSE(rms_norm_cpu_applies(x, at::ones({7})));
  CHECK_FALSE(rms_norm_cpu_applies(at::Tensor(), w));
  CHECK_FALSE(rms_norm_cpu_applies(x, at::Tensor()));
  CHECK(apply_rope_cpu_applies(heads, cos, sin));
  CHECK_FALSE(apply_rope_cpu_applies(heads.narrow(-1, 0, 7), cos.narrow(-1, 0, 7), sin.narrow(-1, 0, 7)));  // odd D
  CHECK_FALSE(apply_rope_cpu_applies(heads, cos.expand({2, 4, 3, 8}), sin.expand({2, 4, 3, 8})));
  CHECK_FALSE(apply_rope_cpu_applies(heads.transpose(2, 3), cos, sin));  // last dimension strided
  CHECK(silu_mul_cpu_applies(x, x));
  CHECK(silu_mul_cpu_applies(x.narrow(-1, 0, 4), x.narrow(-1, 4, 4)));
  CHECK_FALSE(silu_mul_cpu_applies(x.transpose(1, 2), x.transpose(1, 2)));
  CHECK_FALSE(silu_mul_cpu_applies(x.narrow(1, 0, 2).transpose(0, 1), x.narrow(1, 0, 2).transpose(0, 1)));
  CHECK_FALSE(silu_mul_cpu_applies(x, x.narrow(-1, 0, 4)));
}
