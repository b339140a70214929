#include "models/recompute.h"

#include <ATen/core/grad_mode.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <utility>

#include "core/error.h"

namespace spct::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The function travels to backward in the context's saved data, which holds IValues: a capsule keeps it alive.
struct Holder : torch::CustomClassHolder {
  RecomputeFn fn;
  std::size_t differentiable = 0;
};

struct Recompute : torch::autograd::Function<Recompute> {
  // `inputs` is an at::TensorList so that Function::apply counts each tensor as an input of the graph (a
  // std::vector argument would be taken for an opaque non-tensor argument).
  static variable_list forward(AutogradContext* ctx, const c10::intrusive_ptr<Holder>& holder, at::TensorList tensors) {
    const variable_list inputs = tensors.vec();
    // Function::apply runs this with grad mode off: nothing inside fn is recorded.
    variable_list outputs = holder->fn(inputs, false);
    if (outputs.size() < holder->differentiable) {
      throw Error(ExitCode::kFailure, "recompute: the function returned fewer outputs than are differentiable");
    }
    ctx->save_for_backward(inputs);
    ctx->saved_data["holder"] = c10::IValue::make_capsule(holder);
    variable_list data(outputs.begin() + static_cast<std::ptrdiff_t>(holder->differentiable), outputs.end());
    if (!data.empty()) ctx->mark_non_differentiable(data);
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto holder = c10::static_intrusive_pointer_cast<Holder>(ctx->saved_data["holder"].toCapsule());
    variable_list inputs;
    for (const at::Tensor& saved : ctx->get_saved_variables()) {
      at::Tensor leaf = saved.detach();
      if (at::isFloatingType(leaf.scalar_type())) leaf.requires_grad_(true);
      inputs.push_back(leaf);
    }
    variable_list outputs;
    {
      const at::AutoGradMode enable(true);
      outputs = holder->fn(inputs, true);
    }
    variable_list roots, grads;
    for (std::size_t i = 0; i < holder->differentiable && i < outputs.size(); ++i) {
      if (outputs[i].requires_grad() && grad_outputs[i].defined()) {
        roots.push_back(outputs[i]);
        grads.push_back(grad_outputs[i]);
      }
    }
    // Nested backward: gradients of the inputs land in the leaves above, parameters accumulate into .grad.
    if (!roots.empty()) torch::autograd::backward(roots, grads);
    variable_list result{at::Tensor()};  // the holder argument has no gradient
    for (const at::Tensor& leaf : inputs) result.push_back(leaf.requires_grad() ? leaf.grad() : at::Tensor());
    return result;
  }
};

}  // namespace

std::vector<at::Tensor> recompute_in_backward(const RecomputeFn& fn, const std::vector<at::Tensor>& inputs,
                                              std::size_t differentiable) {
  if (!at::GradMode::is_enabled()) return fn(inputs, false);
  auto holder = c10::make_intrusive<Holder>();
  holder->fn = fn;
  holder->differentiable = differentiable;
  variable_list attached;
  for (const at::Tensor& input : inputs) {
    // A floating input that needs no gradient becomes a leaf that does, so that the graph is built and the
    // parameters inside fn still get theirs.
    const bool attach = at::isFloatingType(input.scalar_type()) && !input.requires_grad();
    attached.push_back(attach ? input.detach().requires_grad_(true) : input);
  }
  return Recompute::apply(holder, at::TensorList(attached));
}

}  // namespace spct::models
