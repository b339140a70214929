#include "models/scalar_head.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/randn.h>

#include "core/error.h"

namespace spct::models {

ScalarHeadModel::ScalarHeadModel(const ModelConfig& config, uint64_t seed, at::Device device)
    : backbone_(config, seed, device, Head::kNone) {
  at::NoGradGuard no_grad;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  score_ = (at::randn({1, config.hidden_size}, gen, at::TensorOptions().dtype(at::kFloat)) * 0.02)
               .to(backbone_.dtype())
               .to(device);
}

std::vector<NamedTensor> ScalarHeadModel::named_parameters() const {
  std::vector<NamedTensor> out = backbone_.named_parameters();
  out.push_back({"score.weight", score_});
  return out;
}

std::vector<NamedTensor> ScalarHeadModel::trainable_parameters() const {
  std::vector<NamedTensor> out = backbone_.trainable_parameters();
  if (score_.requires_grad()) out.push_back({"score.weight", score_});
  return out;
}

void ScalarHeadModel::set_requires_grad(bool requires_grad) {
  backbone_.set_requires_grad(requires_grad);
  score_.requires_grad_(requires_grad);
}

at::Tensor ScalarHeadModel::score(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                  const at::Tensor& attention_mask) const {
  const at::Tensor mask = attention_mask.to(backbone_.device(), at::kBool);
  if (mask.dim() == 2 && mask.size(1) > 0 && !mask.any(1).all().item<bool>()) {
    throw InputError("scalar head: a sequence has no real token (its attention_mask row is all false)");
  }
  const at::Tensor hidden = backbone_.hidden_states(input_ids, position_ids, mask);  // [B, T, H]
  // The last real token: the largest column index whose mask is true (positions increase along the row).
  const int64_t t = mask.size(1);
  const at::Tensor columns = at::arange(t, at::TensorOptions().dtype(at::kLong).device(mask.device()));
  const at::Tensor last = (columns.unsqueeze(0) * mask.to(at::kLong)).argmax(1);  // [B]
  const at::Tensor h_last = hidden.gather(1, last.view({-1, 1, 1}).expand({-1, 1, hidden.size(2)})).squeeze(1);
  return at::linear(h_last, score_).squeeze(1).to(at::kFloat);
}

}  // namespace spct::models
