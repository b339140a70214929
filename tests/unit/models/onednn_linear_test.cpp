// models/onednn_linear.h against at::linear: the same products to float32 rounding, forward and backward, for
// the operand layouts the model and its backward pass produce, and Linear routes float32 CPU products to it.
#include "models/onednn_linear.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/randn.h>
#include <ATen/record_function.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "models/linear.h"

using namespace spct::models;

namespace {

at::Tensor randn(std::initializer_list<int64_t> shape, at::ScalarType dtype = at::kFloat) {
  return at::randn(shape, at::TensorOptions().dtype(dtype));
}

// Relative to the largest magnitude: both libraries sum in float32, in different orders.
bool close(const at::Tensor& a, const at::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  return (a - b).abs().max().item<double>() <= 1e-5 * scale;
}

// Counts calls of one operator on this thread while it lives.
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
