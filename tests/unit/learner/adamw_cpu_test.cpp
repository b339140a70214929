// The one-pass CPU AdamW update (learner/adamw_cpu.h) against the ATen operations it replaces, and the properties
// the learner relies on: every element gets the same bits whatever the slicing and thread count (a ZeRO shard's
// update equals the unsharded one), the bfloat16 weight is its master rounded as ATen rounds, and the version
// counters move (a packed copy of a weight for generation is keyed on them).
#include "learner/adamw_cpu.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "learner/grad_norm.h"
#include "learner/optimizer.h"

using namespace spct::learner;

namespace {

struct State {
  at::Tensor p, m, v;
};

State random_state(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  // The moments as after some steps: m of either sign, v positive.
  return State{at::randn({n}), at::randn({n}) * 0.1, at::rand({n}) * 0.01};
}

State copy(const State& s) {
  return State{s.p.clone(), s.m.clone(), s.v.clone()};
}

// The largest difference between a and b in units of float32's spacing (2^-23) at |b| + scale: `scale` the size
// of the operands a result may have cancelled down from (a moment near zero that was a difference of O(1) values).
double max_ulps(const at::Tensor& a, const at::Tensor& b, double scale) {
  const at::Tensor wide = b.to(at::kDouble);
  const at::Tensor spacing = (wide.abs() + scale) * std::ldexp(1.0, -23);
  return ((a.to(at::kDouble) - wide).abs() / spacing).max().item<double>();
}

}  // namespace

TEST_CASE("the one-pass AdamW update equals ATen's operations within a few roundings", "[optimizer][adamw_cpu]") {
  // An odd size, so the vector loop's remainder runs too; two small-weight and one large-weight lerp (beta1 0.3).
  const int64_t n = 100003;
  for (const AdamWOptions& o : {AdamWOptions{.lr = 1e-3, .weight_decay = 0.01},
                                AdamWOptions{.lr = 0.1, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6},
                                AdamWOptions{.lr = 0.01, .beta1 = 0.3, .beta2 = 0.9, .weight_decay = 0.1}}) {
    State fused = random_state(n, 5);
    State aten = copy(fused);
    at::Tensor none;
    for (int64_t t = 1; t <= 3; ++t) {
      const at::Tensor g = at::randn({n});
      REQUIRE(adamw_cpu_applies(fused.p, g, fused.m, fused.v, none));
      adamw_cpu_update(o, t, 1.0, fused.p, g, fused.m, fused.v, none);
      adamw_update_aten(o, t, aten.p, g, aten.m, aten.v);
    }
    INFO("beta1 " << o.beta1 << ", weight decay " << o.weight_decay);
    // Gradients ~N(0, 1): m and p are differences of O(1) values, v a sum of positive ones.
    CHECK(max_ulps(fused.m, aten.m, 1.0) <= 4);
    CHECK(max_ulps(fused.v, aten.v, 0.0) <= 4);
    CHECK(max_ulps(fused.p, aten.p, 1.0) <= 4);
    CHECK_FALSE(at::equal(fused.p, random_state(n, 5).p));  // it did move
  }
}

TEST_CASE("the one-pass AdamW update with beta1 = 0 makes the first moment the gradient exactly",
          "[optimizer][adamw_cpu]") {
  State s = random_state(1000, 6);
  const at::Tensor g = at::randn({1000});
  at::Tensor none;
  adamw_cpu_update(AdamWOptions{.beta1 = 0.0}, 1, 1.0, s.p, g, s.m, s.v, none);
  CHECK(at::equal(s.m, g));
}

TEST_CASE("the one-pass AdamW update gives every element the same bits whatever the slicing and threads",
          "[optimizer][adamw_cpu]") {
  const AdamWOptions o{.lr = 1e-2, .weight_decay = 0.05};
  const int64_t n = (int64_t{1} << 18) + 7;  // several parallel tasks and a remainder
  const State initial = random_state(n, 7);
  const at::Tensor g = at::randn({n});
  at::Tensor none;
  const int threads = at::get_num_threads();

  at::set_num_threads(1);
  State one = copy(initial);
  adamw_cpu_update(o, 2, 1.0, one.p, g, one.m, one.v, none);
  at::set_num_threads(2);
  State two = copy(initial);
  adamw_cpu_update(o, 2, 1.0, two.p, g, two.m, two.v, none);
  // As a shard would: the first 1001 elements (odd, so element 1001 onwards starts mid-vector) and the rest.
  State sliced = copy(initial);
  for (const auto& [begin, count] : {std::pair<int64_t, int64_t>{0, 1001}, {1001, n - 1001}}) {
    at::Tensor p = sliced.p.narrow(0, begin, count), m = sliced.m.narrow(0, begin, count);
    at::Tensor v = sliced.v.narrow(0, begin, count);
    adamw_cpu_update(o, 2, 1.0, p, g.narrow(0, begin, count), m, v, none);
  }
  at::set_num_threads(threads);
  for (const State* s : {&two, &sliced}) {
    CHECK(at::equal(s->p, one.p));
    CHECK(at::equal(s->m, one.m));
    CHECK(at::equal(s->v, one.v));
  }
}

TEST_CASE("the one-pass AdamW update takes a bfloat16 gradient and rounds the master into the bfloat16 weight",
          "[optimizer][adamw_cpu]") {
  const AdamWOptions o{.lr = 1e-2, .weight_decay = 0.01};
  const int64_t n = 4099;
  State fused = random_state(n, 8);
  fused.p[17] = std::numeric_limits<float>::quiet_NaN();  // a NaN weight stays NaN in bfloat16
  State aten = copy(fused);
  const at::Tensor g16 = at::randn({n}).to(at::kBFloat16);
  at::Tensor weight = at::zeros({n}, at::kBFloat16);
  const int64_t version = weight._version();
  REQUIRE(adamw_cpu_applies(fused.p, g16, fused.m, fused.v, weight));
  adamw_cpu_update(o, 1, 1.0, fused.p, g16, fused.m, fused.v, weight);
  adamw_update_aten(o, 1, aten.p, g16.to(at::kFloat), aten.m, aten.v);
  const at::Tensor numbers = at::isnan(aten.p).logical_not();
  CHECK(max_ulps(fused.p.masked_select(numbers), aten.p.masked_select(numbers), 1.0) <= 4);
  // The weight is the master rounded to nearest even, as ATen's conversion rounds it, bit for bit; a NaN stays a
  // NaN (ATen's vector and scalar conversions write different NaN bits).
  CHECK(at::equal(weight.masked_select(numbers).view(at::kShort),
                  fused.p.masked_select(numbers).to(at::kBFloat16).view(at::kShort)));
  CHECK(std::isnan(weight[17].item<float>()));
  CHECK(numbers.sum().item<int64_t>() == n - 1);
  CHECK(weight._version() > version);
}

TEST_CASE("the one-pass AdamW update's gradient scale is the gradient scaled first, and AdamW::step's is clipping",
          "[optimizer][adamw_cpu]") {
  const AdamWOptions o{.lr = 1e-2, .weight_decay = 0.01};
  const int64_t n = 5003;
  const State initial = random_state(n, 13);
  const at::Tensor g = at::randn({n}) * 30;
  const double scale = 0.037;
  State folded = copy(initial), scaled = copy(initial);
  at::Tensor none;
  adamw_cpu_update(o, 1, scale, folded.p, g, folded.m, folded.v, none);
  adamw_cpu_update(o, 1, 1.0, scaled.p, g * scale, scaled.m, scaled.v, none);
  CHECK(at::equal(folded.p, scaled.p));
  CHECK(at::equal(folded.v, scaled.v));

  // The learner's way (grad_norm, then step with the clip coefficient) and scaling the gradients in place first
  // give the same weights.
  const at::Tensor a = initial.p.clone().requires_grad_(true);
  const at::Tensor b = initial.p.clone().requires_grad_(true);
  AdamW by_coefficient({a}, o), by_clipping({b}, o);
  for (const at::Tensor& p : {a, b}) {
    at::Tensor param = p;
    param.mutable_grad() = g.clone();
  }
  const double norm = grad_norm({a});
  REQUIRE(clip_coefficient(norm, 1.0) < 1.0);
  by_coefficient.step(clip_coefficient(norm, 1.0));
  b.grad().mul_(clip_coefficient(norm, 1.0));
  by_clipping.step();
  CHECK(at::equal(a.detach(), b.detach()));
  CHECK(clip_coefficient(norm, 0.0) == 1.0);
  CHECK(clip_coefficient(std::numeric_limits<double>::infinity(), 1.0) == 1.0);
  CHECK(clip_coefficient(0.5, 1.0) == 1.0);
}

TEST_CASE("the one-pass AdamW update moves the version counters of what it writes", "[optimizer][adamw_cpu]") {
  // A packed copy of a weight for generation (models/packed_weight.h) is rebuilt when the weight's version moves;
  // a raw-pointer write that kept the version would leave generation on the old weights.
  State s = random_state(64, 9);
  const at::Tensor g = at::randn({64});
  const int64_t p = s.p._version(), m = s.m._version(), v = s.v._version();
  at::Tensor none;
  adamw_cpu_update(AdamWOptions{}, 1, 1.0, s.p, g, s.m, s.v, none);
  CHECK(s.p._version() > p);
  CHECK(s.m._version() > m);
  CHECK(s.v._version() > v);
}

TEST_CASE("the one-pass AdamW update refuses what it cannot take, and adamw_update then uses ATen's operations",
          "[optimizer][adamw_cpu]") {
  const State s = random_state(16, 10);
  const at::Tensor g = at::randn({16});
  at::Tensor none;
  CHECK_FALSE(
      adamw_cpu_applies(s.p.to(at::kDouble), g.to(at::kDouble), s.m.to(at::kDouble), s.v.to(at::kDouble), none));
  CHECK_FALSE(adamw_cpu_applies(s.p, g.to(at::kHalf), s.m, s.v, none));
  CHECK_FALSE(adamw_cpu_applies(s.p, g, s.m, s.v, at::zeros({16}, at::kHalf)));
  CHECK_FALSE(adamw_cpu_applies(s.p, g.narrow(0, 0, 8), s.m, s.v, none));
  const at::Tensor strided = at::zeros({32}).slice(0, 0, 32, 2);
  CHECK_FALSE(adamw_cpu_applies(s.p, strided, s.m, s.v, none));
  CHECK(adamw_cpu_applies(s.p, g, s.m, s.v, none));

  // A float16 gradient: adamw_update widens it and runs ATen's operations, the same values as calling them.
  State via_update = copy(s), via_aten = copy(s);
  const at::Tensor g16 = g.to(at::kHalf);
  adamw_update(AdamWOptions{.lr = 0.1}, 1, via_update.p, g16, via_update.m, via_update.v);
  adamw_update_aten(AdamWOptions{.lr = 0.1}, 1, via_aten.p, g16.to(at::kFloat), via_aten.m, via_aten.v);
  CHECK(at::equal(via_update.p, via_aten.p));
  CHECK(at::equal(via_update.v, via_aten.v));

  // float64 takes the ATen path too, and its gradient scale multiplies the gradient in place first.
  const at::Tensor p64 = s.p.to(at::kDouble), m64 = s.m.to(at::kDouble), v64 = s.v.to(at::kDouble);
  at::Tensor p_scaled = p64.clone(), m_scaled = m64.clone(), v_scaled = v64.clone();
  at::Tensor p_plain = p64.clone(), m_plain = m64.clone(), v_plain = v64.clone();
  const at::Tensor g64 = g.to(at::kDouble);
  at::Tensor scaled_grad = g64.clone();
  adamw_update(AdamWOptions{.lr = 0.1}, 1, p_scaled, scaled_grad, m_scaled, v_scaled, at::Tensor(), 0.25);
  adamw_update_aten(AdamWOptions{.lr = 0.1}, 1, p_plain, g64 * 0.25, m_plain, v_plain);
  CHECK(at::equal(p_scaled, p_plain));
  CHECK(at::equal(scaled_grad, g64 * 0.25));
}
