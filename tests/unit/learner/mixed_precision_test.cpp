// AdamW with 16-bit parameters: float32 master weights and moments. An update far below one bf16 ulp of a
// weight is not rounded away: it accumulates in the master, which follows a float32 run exactly, and the bf16
// weight moves when the master crosses to the next bf16 value. Restoring the state restores the masters.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>

#include <catch2/catch.hpp>

#include "learner/optimizer.h"
#include "tensor_helpers.h"

using namespace spct::learner;

namespace {

at::Tensor parameter(at::ScalarType dtype) {
  return at::full({2}, 1.0, at::TensorOptions().dtype(dtype)).requires_grad_(true);
}

void set_grad(const at::Tensor& param, double value) {
  at::Tensor p = param;
  p.mutable_grad() = at::full({2}, value, at::TensorOptions().dtype(param.scalar_type()));
}

at::Tensor master_of(const AdamW& adamw) {
  for (const auto& [name, tensor] : adamw.state()) {
    if (name == "master.0") return tensor;
  }
  return {};
}

}  // namespace

TEST_CASE("bf16 parameters: updates below one ulp accumulate in a float32 master", "[optimizer][mixed]") {
  testing::use_one_thread();
  // Near 1.0 a bf16 ulp is 2^-7 = 0.0078; Adam moves a weight by about lr = 1e-3 per step with a steady
  // gradient, so each step alone rounds back to 1.0 in bf16.
  const AdamWOptions options{.lr = 1e-3};
  const at::Tensor low = parameter(at::kBFloat16);
  const at::Tensor exact = parameter(at::kFloat);
  AdamW mixed({low}, options);
  AdamW reference({exact}, options);
  const double ulp = 1.0 / 128;
  bool moved = false;
  for (int step = 1; step <= 8; ++step) {
    set_grad(low, -1.0);
    set_grad(exact, -1.0);
    mixed.step();
    reference.step();
    const at::Tensor master = master_of(mixed);
    REQUIRE(master.defined());
    CHECK(master.scalar_type() == at::kFloat);
    CHECK(master.equal(exact.detach()));  // the master is the float32 run, bit for bit
    // The bf16 weight is the master rounded: 1.0 until the master passes 1 + ulp / 2, then 1 + ulp.
    CHECK(low.detach().equal(master.to(at::kBFloat16)));
    const double weight = low.detach()[0].item<double>();
    const double sum = master[0].item<double>();
    CHECK(weight == (sum - 1.0 < ulp / 2 ? 1.0 : 1.0 + ulp));
    moved = moved || weight > 1.0;
    if (step == 1) CHECK(weight == 1.0);  // a plain bf16 update would stay here for ever
  }
  CHECK(moved);
  for (const auto& [name, tensor] : mixed.state()) {
    if (name != "step") CHECK(tensor.scalar_type() == at::kFloat);
  }
}

TEST_CASE("bf16 parameters: the masters round-trip through the state, old states without them load",
          "[optimizer][mixed]") {
  testing::use_one_thread();
  const AdamWOptions options{.lr = 1e-3};
  const at::Tensor a = parameter(at::kBFloat16);
  AdamW first({a}, options);
  for (int i = 0; i < 3; ++i) {
    set_grad(a, -1.0);
    first.step();
  }
  const NamedTensors state = first.state();
  REQUIRE(state.size() == 4);
  CHECK(state[3].first == "master.0");

  const at::Tensor b = a.detach().clone().requires_grad_(true);
  AdamW second({b}, options);
  second.load_state(state);
  CHECK(master_of(second).equal(master_of(first)));
  for (int i = 0; i < 3; ++i) {
    for (auto [p, opt] : {std::pair{a, &first}, std::pair{b, &second}}) {
      set_grad(p, -1.0);
      opt->step();
    }
  }
  CHECK(a.equal(b));
  CHECK(master_of(second).equal(master_of(first)));

  // A state written before masters existed (bf16 moments, no master.<i>): the master starts from the weight.
  NamedTensors old_state;
  for (const auto& [name, tensor] : state) {
    if (name != "master.0") old_state.emplace_back(name, name == "step" ? tensor : tensor.to(at::kBFloat16));
  }
  const at::Tensor c = a.detach().clone().requires_grad_(true);
  AdamW third({c}, options);
  third.load_state(old_state);
  CHECK(master_of(third).equal(c.detach().to(at::kFloat)));
  // A float32 parameter has no master, and refuses one.
  const at::Tensor f = parameter(at::kFloat);
  AdamW plain({f}, options);
  NamedTensors with_master = plain.state();
  with_master.emplace_back("master.0", at::full({2}, 1.0));
  CHECK_THROWS_WITH(plain.load_state(with_master), Catch::Matchers::Contains("unexpected entry \"master.0\""));
}
