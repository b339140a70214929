#include "models/onednn_linear.h"

#include <ATen/Context.h>
#include <ATen/core/List.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <optional>
#include <string_view>

namespace spct::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using LinearPointwise = at::Tensor(const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&,
                                   std::string_view, c10::List<std::optional<at::Scalar>>,
                                   std::optional<std::string_view>);

// The operator, once per process; nullopt when this PyTorch has none (or its signature is not the one above).
const std::optional<c10::TypedOperatorHandle<LinearPointwise>>& linear_pointwise() {
  static const std::optional<c10::TypedOperatorHandle<LinearPointwise>> op =
      []() -> std::optional<c10::TypedOperatorHandle<LinearPointwise>> {
    if (!at::hasMKLDNN()) return std::nullopt;
    const std::optional<c10::OperatorHandle> handle =
        c10::Dispatcher::singleton().findSchema({"mkldnn::_linear_pointwise", ""});
    if (!handle.has_value() || !handle->hasKernelForDispatchKey(c10::DispatchKey::CPU)) return std::nullopt;
    try {
      return handle->typed<LinearPointwise>();
    } catch (const c10::Error&) {
      return std::nullopt;  // another signature: at::linear it is
    }
  }();
  return op;
}

using ReorderLinearWeight = at::Tensor(const at::Tensor&, std::optional<int64_t>);

// The reorder that packs a linear weight, once per process (present wherever linear_pointwise() is: both come
// with the same oneDNN build of PyTorch).
const c10::TypedOperatorHandle<ReorderLinearWeight>& reorder_linear_weight() {
  static const c10::TypedOperatorHandle<ReorderLinearWeight> op =
      c10::Dispatcher::singleton().findSchemaOrThrow("mkldnn::_reorder_linear_weight", "").typed<ReorderLinearWeight>();
  return op;
}

// One product, no autograd: x [..., in] times weight [out, in] transposed (either may be a strided view).
at::Tensor product(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const std::optional<at::Tensor> b = bias.defined() ? std::optional<at::Tensor>(bias) : std::nullopt;
  return linear_pointwise()->call(x, weight, b, "none", c10::List<std::optional<at::Scalar>>(), std::nullopt);
}

struct OnednnLinear : torch::autograd::Function<OnednnLinear> {
  // The bias is optional: an undefined tensor cannot be an input of a custom function's graph.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const std::optional<at::Tensor>& bias) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["has_bias"] = bias.has_value();
    return product(x, weight, bias.value_or(at::Tensor()));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& grad = grad_outputs[0];
    const int64_t out_features = weight.size(0);
    const int64_t in_features = weight.size(1);
    const at::Tensor grad_rows = grad.reshape({-1, out_features});
    at::Tensor grad_x, grad_weight, grad_bias;
    // grad_x = grad W: a product whose "weight" is W^T [in, out].
    if (ctx->needs_input_grad(0)) grad_x = product(grad, weight.t(), at::Tensor());
    // grad_W = grad^T x: rows grad^T [out, M] times x^T [in, M] transposed.
    if (ctx->needs_input_grad(1)) {
      grad_weight = product(grad_rows.t(), x.reshape({-1, in_features}).t(), at::Tensor());
    }
    // needs_input_grad counts the graph's inputs, which include the bias only when there is one.
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) grad_bias = grad_rows.sum(0);
    return {grad_x, grad_weight, grad_bias};
  }
};

}  // namespace

bool onednn_linear_available() {
  return linear_pointwise().has_value() && at::globalContext().userEnabledMkldnn();
}

bool onednn_linear_applies(const at::Tensor& x, const at::Tensor& weight) {
  if (x.scalar_type() != at::kFloat || weight.scalar_type() != at::kFloat || !x.device().is_cpu() ||
      !weight.device().is_cpu() || x.numel() == 0 || weight.numel() == 0) {
    return false;
  }
  // oneDNN's fixed cost per call (primitive lookup, descriptors: tens of microseconds) exceeds MKL's few: for a
  // small product the call, not the arithmetic, is what it costs (a tiny model's batch-1 decode step ran 5x
  // slower through oneDNN), and a small weight sits in the caches, where MKL's kernels keep up.
  constexpr double kMinFlops = 16.0 * (1 << 20);
  const double flops = 2.0 * static_cast<double>(x.numel()) * static_cast<double>(weight.size(0));
  return flops >= kMinFlops && weight.numel() >= kOnednnMinWeightElements && onednn_linear_available();
}

at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const bool records = at::GradMode::is_enabled() &&
                       (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  if (!records) return product(x, weight, bias);
  return OnednnLinear::apply(x, weight, bias.defined() ? std::optional<at::Tensor>(bias) : std::nullopt);
}

at::Tensor onednn_pack_weight(const at::Tensor& weight) {
  // The layout is chosen for products of this many rows (a batch-64 decode step); products of other row counts
  // read it too, as oneDNN's inner product accepts any source rows with a blocked weight.
  constexpr int64_t kRowsHint = 64;
  return reorder_linear_weight().call(weight.contiguous(), kRowsHint);
}

at::Tensor onednn_linear_packed(const at::Tensor& x, const at::Tensor& packed, const at::Tensor& bias) {
  return product(x, packed, bias);
}

}  // namespace spct::models
