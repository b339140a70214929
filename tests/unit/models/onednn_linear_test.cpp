// models/onednn_linear.h against at::linear: the same products to float32 rounding, forward and backward, for
// the operand layouts the model and its backward pass produce, and Linear routes float32 CPU products to it;
// models/packed_weight.h: generation's packed weights give the same products, and are remade when the weight
// changes; models/fused_projections.h: projections of one input stacked into one packed product.
#include "models/onednn_linear.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/randn.h>
#include <ATen/record_function.h>
#include <c10/core/InferenceMode.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

#include "models/fused_projections.h"
#include "models/linear.h"
#include "models/packed_weight.h"

using namespace spct::models;

namespace {

at::Tensor randn(std::initializer_list<int64_t> shape, at::ScalarType dtype = at::kFloat) {
  return at::randn(shape, at::TensorOptions().dtype(dtype));
}

// Relative to the largest magnitude: both libraries sum in float32, in different orders (and round a bfloat16
// result to its 8 bits).
bool close(const at::Tensor& a, const at::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  const double tolerance = a.scalar_type() == at::kBFloat16 ? 1e-2 : 1e-5;
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>() <= tolerance * scale;
}

// Counts calls of one operator on this thread while it lives. One at a time: the count and name are the thread's.
class OpCounter {
 public:
  explicit OpCounter(const char* name) {
    name_ = name;
    count_ = 0;
    handle_ = at::addThreadLocalCallback(
        at::RecordFunctionCallback([](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
          if (std::strcmp(fn.name(), name_) == 0) ++count_;
          return nullptr;
        }));
  }
  ~OpCounter() { at::removeCallback(handle_); }
  OpCounter(const OpCounter&) = delete;
  OpCounter& operator=(const OpCounter&) = delete;
  int count() const { return count_; }

 private:
  static inline thread_local const char* name_ = nullptr;
  static inline thread_local int count_ = 0;
  at::CallbackHandle handle_;
};

}  // namespace

TEST_CASE("the oneDNN float32 linear is available in this build of PyTorch, and taken for large products") {
  REQUIRE(onednn_linear_available());
  // 2 x 64 x 512 x 512 = 33.5 MFLOP: past the 16 MFLOP below which MKL's cheaper call wins.
  CHECK(onednn_linear_applies(randn({64, 512}), randn({512, 512})));
  CHECK(onednn_linear_applies(randn({4, 16, 512}), randn({512, 512})));
  CHECK_FALSE(onednn_linear_applies(randn({16, 512}), randn({512, 512})));  // 8.4 MFLOP
  CHECK_FALSE(onednn_linear_applies(randn({4096, 64}), randn({256, 64})));  // a 64 x 256 weight
  CHECK_FALSE(onednn_linear_applies(randn({64, 512}, at::kBFloat16), randn({512, 512}, at::kBFloat16)));
  CHECK_FALSE(onednn_linear_applies(randn({0, 512}), randn({512, 512})));
}

TEST_CASE("the oneDNN linear equals at::linear to float32 rounding, 2-D, 3-D and strided, with and without bias") {
  const at::NoGradGuard no_grad;
  const at::Tensor weight = randn({48, 40});
  const at::Tensor bias = randn({48});
  const at::Tensor x3 = randn({3, 7, 40});
  const at::Tensor strided = randn({40, 21}).t();  // [21, 40], not contiguous
  for (const at::Tensor& x : {randn({5, 40}), x3, strided, x3.select(1, 2)}) {
    CHECK(close(onednn_linear(x, weight, at::Tensor()), at::linear(x, weight)));
    CHECK(close(onednn_linear(x, weight, bias), at::linear(x, weight, bias)));
  }
  // A transposed weight (the backward pass's grad_x product).
  const at::Tensor wt = randn({40, 48}).t();
  CHECK(close(onednn_linear(x3, wt, at::Tensor()), at::linear(x3, wt)));
}

TEST_CASE("the oneDNN linear's gradients equal at::linear's, for every subset of operands that needs one") {
  const at::Tensor x0 = randn({3, 6, 40});
  const at::Tensor w0 = randn({24, 40});
  const at::Tensor b0 = randn({24});
  const at::Tensor upstream = randn({3, 6, 24});
  for (const bool with_bias : {true, false}) {
    for (const bool x_grad : {true, false}) {
      for (const bool w_grad : {true, false}) {
        if (!with_bias && !x_grad && !w_grad) continue;  // nothing to differentiate
        CAPTURE(with_bias, x_grad, w_grad);
        at::Tensor grads[2][3];
        for (const bool onednn : {true, false}) {
          const at::Tensor x = x0.clone().requires_grad_(x_grad);
          const at::Tensor w = w0.clone().requires_grad_(w_grad);
          const at::Tensor b = with_bias ? b0.clone().requires_grad_(true) : at::Tensor();
          const at::Tensor y = onednn ? onednn_linear(x, w, b) : at::linear(x, w, b);
          REQUIRE(y.requires_grad());
          y.backward(upstream);
          grads[onednn ? 0 : 1][0] = x.grad();
          grads[onednn ? 0 : 1][1] = w.grad();
          if (with_bias) grads[onednn ? 0 : 1][2] = b.grad();
        }
        CHECK(grads[0][0].defined() == x_grad);
        CHECK(grads[0][1].defined() == w_grad);
        if (x_grad) CHECK(close(grads[0][0], grads[1][0]));
        if (w_grad) CHECK(close(grads[0][1], grads[1][1]));
        if (with_bias) CHECK(close(grads[0][2], grads[1][2]));
      }
    }
  }
}

TEST_CASE("Linear takes the oneDNN product for large float32 products on the CPU, at::linear's otherwise") {
  const at::NoGradGuard no_grad;
  Linear fp32;
  fp32.weight = randn({512, 512});
  Linear bf16;
  bf16.weight = fp32.weight.to(at::kBFloat16);
  const at::Tensor x = randn({64, 512});
  {
    const OpCounter onednn("mkldnn::_linear_pointwise");
    const at::Tensor y = fp32.forward(x);
    CHECK(onednn.count() == 1);
    CHECK(close(y, at::linear(x, fp32.weight)));
  }
  {
    const OpCounter onednn("mkldnn::_linear_pointwise");
    fp32.forward(x.narrow(0, 0, 2));  // a small product: MKL's
    bf16.forward(x.to(at::kBFloat16));
    CHECK(onednn.count() == 0);
  }
}

TEST_CASE("a packed weight gives the plain weight's product, float32 and bfloat16, for any number of rows") {
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor weight = randn({512, 384}, dtype);
    const at::Tensor bias = randn({512}, dtype);
    PackedWeight packed;
    const c10::InferenceMode inference;
    for (const int64_t rows : {1, 7, 64, 256}) {
      INFO("dtype " << c10::toString(dtype) << ", rows " << rows);
      const at::Tensor x = randn({rows, 384}, dtype);
      CHECK(close(onednn_linear_packed(x, packed.get(weight), bias),
                  at::linear(x.to(at::kFloat), weight.to(at::kFloat), bias.to(at::kFloat))));
      CHECK(close(onednn_linear_packed(x, packed.get(weight), at::Tensor()),
                  at::linear(x.to(at::kFloat), weight.to(at::kFloat))));
    }
    const at::Tensor rows_3d = randn({4, 1, 384}, dtype);  // a decode step's [B, 1, hidden]
    const at::Tensor y = onednn_linear_packed(rows_3d, packed.get(weight), bias);
    CHECK(y.sizes() == at::IntArrayRef({4, 1, 512}));
    CHECK(close(y, at::linear(rows_3d.to(at::kFloat), weight.to(at::kFloat), bias.to(at::kFloat))));
  }
}

TEST_CASE("generation packs a weight once per version, and again after it is written or replaced") {
  Linear linear;
  linear.weight = randn({512, 512});
  const at::Tensor x = randn({64, 512});
  const OpCounter reorders("mkldnn::_reorder_linear_weight");
  const auto generate_step = [&] {
    const c10::InferenceMode inference;
    return linear.forward(x);
  };
  const at::Tensor first = generate_step();
  CHECK(at::equal(generate_step(), first));
  CHECK(reorders.count() == 1);
  CHECK(close(first, at::linear(x, linear.weight)));
  {
    const at::NoGradGuard no_grad;  // a weight sync or an optimizer step: in place, outside inference mode
    linear.weight.mul_(2);
  }
  const at::Tensor doubled = generate_step();
  CHECK(reorders.count() == 2);
  CHECK(close(doubled, 2 * first));
  linear.weight = randn({512, 512});  // another tensor (a reload)
  CHECK(close(generate_step(), at::linear(x, linear.weight)));
  CHECK(reorders.count() == 3);
  {
    const at::NoGradGuard no_grad;  // scoring and training passes keep the plain weight
    linear.forward(x);
  }
  CHECK(reorders.count() == 3);
}

TEST_CASE("packed weights serve generation's small CPU products only") {
  const at::Tensor weight = randn({512, 512});
  const at::Tensor weight_bf16 = weight.to(at::kBFloat16);
  const at::Tensor x = randn({64, 512});
  CHECK_FALSE(PackedWeight::applies(x, weight));  // outside inference mode: a learner's or scorer's pass
  const c10::InferenceMode inference;
  CHECK(PackedWeight::applies(x, weight));
  CHECK(PackedWeight::applies(randn({1, 512}), weight));
  CHECK(PackedWeight::applies(x.to(at::kBFloat16), weight_bf16));
  CHECK(PackedWeight::applies(randn({8192, 512}), weight));                 // a prefill
  CHECK_FALSE(PackedWeight::applies(randn({64, 128}), randn({128, 128})));  // fits the caches
  CHECK_FALSE(PackedWeight::applies(x.to(at::kBFloat16), weight));          // mixed dtypes
  CHECK_FALSE(PackedWeight::applies(x.to(at::kDouble), weight.to(at::kDouble)));
  CHECK_FALSE(PackedWeight::applies(x, randn({512, 512})));  // made in inference mode: no version to key on
  PackedWeight::set_enabled(false);                          // rollout.pack_weights: false
  CHECK_FALSE(PackedWeight::applies(x, weight));
  PackedWeight::set_enabled(true);
  CHECK(PackedWeight::applies(x, weight));
}

namespace {

// A projection like attention's: [out, 512], with or without a bias.
Linear projection(int64_t out, bool with_bias, at::ScalarType dtype) {
  Linear linear;
  linear.weight = randn({out, 512}, dtype);
  if (with_bias) linear.bias = randn({out}, dtype);
  return linear;
}

}  // namespace

TEST_CASE("stacked projections give each projection's own product from one packed product") {
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    INFO("dtype " << c10::toString(dtype));
    // q, k and v as Qwen2 has them (each with a bias), and a weight without one beside weights with.
    const Linear q = projection(512, true, dtype);
    const Linear k = projection(128, false, dtype);
    const Linear v = projection(256, true, dtype);
    const FusedProjections fused;
    const at::Tensor x = randn({4, 1, 512}, dtype);  // a decode step's [B, 1, hidden]
    const c10::InferenceMode inference;
    auto reorders = std::make_unique<OpCounter>("mkldnn::_reorder_linear_weight");
    for (int step = 0; step < 2; ++step) {
      const std::vector<at::Tensor> parts = fused.forward(x, {&q, &k, &v});
      REQUIRE(parts.size() == 3);
      CHECK(parts[1].sizes() == at::IntArrayRef({4, 1, 128}));
      const auto reference = [&](const Linear& l) {
        return at::linear(x.to(at::kFloat), l.weight.to(at::kFloat),
                          l.bias.defined() ? l.bias.to(at::kFloat) : at::Tensor());
      };
      CHECK(close(parts[0], reference(q)));
      CHECK(close(parts[1], reference(k)));
      CHECK(close(parts[2], reference(v)));
    }
    CHECK(reorders->count() == 1);  // packed once
    reorders.reset();
    const OpCounter products("mkldnn::_linear_pointwise");
    fused.forward(x, {&q, &k, &v});
    CHECK(products.count() == 1);  // one product a step
  }
}

TEST_CASE("stacked projections are packed again when any of their weights or biases is written or replaced") {
  Linear gate = projection(512, false, at::kFloat);
  Linear up = projection(512, true, at::kFloat);
  const FusedProjections fused;
  const at::Tensor x = randn({64, 512});
  const OpCounter reorders("mkldnn::_reorder_linear_weight");
  const auto step = [&] {
    const c10::InferenceMode inference;
    return fused.forward(x, {&gate, &up});
  };
  step();
  {
    const at::NoGradGuard no_grad;  // a weight sync: in place
    up.bias.add_(1);
  }
  CHECK(close(step()[1], at::linear(x, up.weight, up.bias)));
  CHECK(reorders.count() == 2);
  gate.weight = randn({512, 512});  // a reload
  CHECK(close(step()[0], at::linear(x, gate.weight)));
  CHECK(reorders.count() == 3);
  step();
  CHECK(reorders.count() == 3);
}

TEST_CASE("stacked projections fall back to each projection's forward with an adapter, and outside generation") {
  Linear gate = projection(512, false, at::kFloat);
  const Linear up = projection(512, false, at::kFloat);
  const FusedProjections fused;
  const at::Tensor x = randn({64, 512});
  {
    const at::NoGradGuard no_grad;  // a scoring pass: the plain weights, one product each
    const OpCounter products("mkldnn::_linear_pointwise");
    const std::vector<at::Tensor> parts = fused.forward(x, {&gate, &up});
    CHECK(close(parts[0], at::linear(x, gate.weight)));
    CHECK(products.count() == 2);
  }
  const OpCounter reorders("mkldnn::_reorder_linear_weight");
  gate.lora_a = randn({4, 512});
  gate.lora_b = randn({512, 4});
  gate.lora_scale = 0.5;
  const c10::InferenceMode inference;
  const std::vector<at::Tensor> parts = fused.forward(x, {&gate, &up});
  CHECK(close(parts[0], at::linear(x, gate.weight) + at::linear(at::linear(x, gate.lora_a), gate.lora_b) * 0.5));
  CHECK(close(parts[1], at::linear(x, up.weight)));
  CHECK(reorders.count() == 2);  // each weight packed on its own (Linear::forward), none stacked
}
