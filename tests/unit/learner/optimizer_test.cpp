#include "learner/optimizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "learner/grad_norm.h"
#include "tensor_helpers.h"

using namespace spct::learner;
using namespace spct::learner::testing;

namespace {

void set_grad(const at::Tensor& param, const std::vector<double>& values) {
  at::Tensor p = param;
  p.mutable_grad() = doubles(values, param.sizes().vec());
}

}  // namespace

TEST_CASE("AdamW matches a hand-stepped reference for two steps", "[optimizer]") {
  use_one_thread();
  // lr 0.1, beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.01; parameter [1, -2], gradients [0.5, 0] then
  // [-1, 3]. Element 0:
  //   t=1: p = 1 * (1 - 0.001) = 0.999; m = 0.05; v = 0.00025; m^ = 0.05 / 0.1 = 0.5; v^ = 0.00025 / 0.001
  //        = 0.25; p = 0.999 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.899000002
  //   t=2: p = 0.899000002 * 0.999 = 0.898101002; m = 0.045 - 0.1 = -0.055; v = 0.00024975 + 0.001 = 0.00124975;
  //        m^ = -0.055 / 0.19; v^ = 0.00124975 / 0.001999; p = p - 0.1 m^ / (sqrt(v^) + 1e-8) = 0.9347113542
  // Element 1 (zero gradient first: only the decay acts):
  //   t=1: p = -2 * 0.999 = -1.998; m = v = 0
  //   t=2: p = -1.998 * 0.999 = -1.996002; m = 0.3; v = 0.009; p -= 0.1 (0.3 / 0.19) / sqrt(0.009 / 0.001999)
  //        = -2.0704156820
  // A second parameter without a gradient stays exactly as it was.
  const at::Tensor p = leaf({1, -2}, {2});
  const at::Tensor frozen = leaf({7}, {1});
  AdamW adamw({p, frozen}, AdamWOptions{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01});
  set_grad(p, {0.5, 0.0});
  adamw.step();
  check_values(p, {0.899000002, -1.998}, 1e-12);
  set_grad(p, {-1.0, 3.0});
  adamw.step();
  check_values(p, {0.9347113542385653, -2.0704156820059967}, 1e-12);
  check_values(frozen, {7});
  CHECK(adamw.steps_taken() == 2);
  adamw.zero_grad();
  CHECK_FALSE(p.grad().defined());
}

TEST_CASE("AdamW's ATen path updates a parameter larger than one slice exactly as whole-tensor arithmetic",
          "[optimizer]") {
  // adamw_update_aten works in slices of kAdamWSliceElements to bound its temporary; the slices' values must be the
  // whole tensor's, bit for bit, including the short last slice.
  const AdamWOptions o{.lr = 0.01, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.1};
  const int64_t n = 2 * kAdamWSliceElements + 12345;
  at::manual_seed(3);
  at::Tensor p = at::randn({n});
  const at::Tensor initial = p.clone();
  at::Tensor expected = initial.clone();
  at::Tensor m = at::zeros({n}), v = at::zeros({n});
  at::Tensor expected_m = at::zeros({n}), expected_v = at::zeros({n});
  for (int64_t t = 1; t <= 2; ++t) {
    const at::Tensor g = at::randn({n});
    adamw_update_aten(o, t, p, g, m, v);
    expected.mul_(1.0 - o.lr * o.weight_decay);
    expected_m.lerp_(g, 1.0 - o.beta1);
    expected_v.mul_(o.beta2).addcmul_(g, g, 1.0 - o.beta2);
    const at::Tensor denom = expected_v.sqrt().div_(std::sqrt(1.0 - std::pow(o.beta2, t))).add_(o.eps);
    expected.addcdiv_(expected_m, denom, -o.lr / (1.0 - std::pow(o.beta1, t)));
  }
  CHECK(at::equal(p, expected));
  CHECK(at::equal(m, expected_m));
  CHECK(at::equal(v, expected_v));
  CHECK_FALSE(at::equal(p, initial));
}

TEST_CASE("AdamW state round-trips exactly through named tensors", "[optimizer]") {
  use_one_thread();
  const AdamWOptions options{.lr = 0.05, .weight_decay = 0.1};
  const at::Tensor a = leaf({0.3, -0.7, 1.1}, {3});
  const at::Tensor b = leaf({2.0, 4.0}, {1, 2});
  AdamW first({a, b}, options);
  for (int i = 0; i < 3; ++i) {
    set_grad(a, {0.1 * i, -0.2, 0.3});
    set_grad(b, {1.0, -1.0 * i});
    first.step();
  }
  const NamedTensors state = first.state();
  REQUIRE(state.size() == 5);
  CHECK(state[0].first == "step");
  CHECK(state[0].second.item<int64_t>() == 3);
  CHECK(state[1].first == "exp_avg.0");
  CHECK(state[4].first == "exp_avg_sq.1");
  // The optimizer's own moments, not copies: a checkpoint written from them holds no second set in memory.
  CHECK(state[1].second.is_same(first.state()[1].second));

  // A second optimizer on copies of the parameters, restored from the state, takes the same next step.
  const at::Tensor a2 = a.detach().clone().requires_grad_(true);
  const at::Tensor b2 = b.detach().clone().requires_grad_(true);
  AdamW second({a2, b2}, options);
  second.load_state(state);
  CHECK(second.steps_taken() == 3);
  for (auto [pa, pb, opt] : {std::tuple{a, b, &first}, std::tuple{a2, b2, &second}}) {
    set_grad(pa, {0.5, 0.5, -0.5});
    set_grad(pb, {0.25, 0.75});
    opt->step();
  }
  CHECK(a.equal(a2));
  CHECK(b.equal(b2));
}

TEST_CASE("AdamW refuses a state of another shape, naming the entry", "[optimizer]") {
  use_one_thread();
  using Catch::Matchers::Contains;
  const at::Tensor p = leaf({1, 2}, {2});
  AdamW adamw({p}, AdamWOptions{});
  NamedTensors state = adamw.state();
  state[1].second = doubles({0, 0, 0}, {3});
  CHECK_THROWS_WITH(adamw.load_state(state), Contains("exp_avg.0") && Contains("[3]") && Contains("[2]"));
  state = adamw.state();
  state.pop_back();
  CHECK_THROWS_WITH(adamw.load_state(state), Contains("missing entry \"exp_avg_sq.0\""));
  state = adamw.state();
  state.emplace_back("exp_avg.1", doubles({0}, {1}));
  CHECK_THROWS_WITH(adamw.load_state(state), Contains("unexpected entry \"exp_avg.1\""));
  CHECK_THROWS_AS(adamw.set_lr(-1), spct::UsageError);
  CHECK_THROWS_AS(AdamW({p}, AdamWOptions{.beta2 = 1.0}), spct::UsageError);
}

TEST_CASE("global grad-norm clipping: the norm before clipping and the factor that clips", "[optimizer][grad_norm]") {
  use_one_thread();
  // Gradients [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13. Clipping to 6.5 scales every gradient by
  // 6.5 / (13 + 1e-6); a parameter without gradient is skipped.
  const at::Tensor a = leaf({0, 0}, {2});
  const at::Tensor b = leaf({0}, {1});
  const at::Tensor none = leaf({0}, {1});
  set_grad(a, {3, 4});
  set_grad(b, {12});
  const double norm = grad_norm({a, b, none});
  CHECK(norm == Approx(13));
  check_values(a.grad(), {3, 4});             // the norm reads, never writes
  CHECK(clip_coefficient(norm, 0) == 1.0);    // disabled
  CHECK(clip_coefficient(norm, 100) == 1.0);  // under the limit
  const double scale = 6.5 / (13 + 1e-6);
  CHECK(clip_coefficient(norm, 6.5) == Approx(scale));
  // The factor brings the norm to the limit; AdamW::step applies it as it reads the gradients (adamw_cpu_test.cpp).
  for (const at::Tensor& p : {a, b}) p.grad().mul_(clip_coefficient(norm, 6.5));
  check_values(a.grad(), {3 * scale, 4 * scale});
  check_values(b.grad(), {12 * scale});
  CHECK(grad_norm({a, b}) == Approx(6.5));
  // A non-finite norm is reported and leaves the gradients unscaled, for the caller to discard.
  set_grad(b, {INFINITY});
  CHECK(std::isinf(grad_norm({a, b})));
  CHECK(clip_coefficient(grad_norm({a, b}), 1.0) == 1.0);
}
