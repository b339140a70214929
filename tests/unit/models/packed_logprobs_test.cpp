// Sequence packing (models/logprobs.h: packed_completion_logprobs, Transformer::packed_hidden_states): several
// sequences in one row, position ids restarting at 0, a block-diagonal causal mask. Each sequence's log-probs,
// entropies and the gradients they send to every parameter must equal the padded batch's, for every family:
// Gemma 2's sliding window (4 tokens, shorter than the sequences) and soft caps, rope scaling, MoE routing (its
// load-balancing loss over the same real tokens) and LoRA adapters. float32, tight tolerances. Shared prompts (one
// copy of a prompt for the completions after it) give the same log-probs and gradients.
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "models/logprobs.h"
#include "models/lora.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

// Sequences of 3 to 9 tokens; one completion is empty (its row is all mask-false either way).
const std::vector<std::vector<int64_t>> kPrompts = {{3, 4, 5, 6}, {7, 8}, {9, 10, 11}, {21, 22, 23, 24, 25}, {26}};
const std::vector<std::vector<int64_t>> kCompletions = {
    {12, 13, 14, 15, 16}, {17}, {18, 19, 20}, {}, {27, 28, 29, 30, 31, 32}};
// Row 0: sequences 0 and 1 (9 + 3 tokens); row 1: 4, 2 and 3 (7 + 6 + 5): later sequences start mid-row.
const std::vector<std::vector<int64_t>> kPacking = {{0, 1}, {4, 2, 3}};

at::Tensor cell_weights(const at::Tensor& like, double phase) {
  return (at::arange(like.numel(), at::TensorOptions().dtype(at::kFloat)) + phase).sin().view(like.sizes());
}

struct Result {
  at::Tensor logprobs, entropy, mask, aux_loss;
  std::vector<at::Tensor> grads;
};

Result run(Transformer& model, bool packed) {
  for (const NamedTensor& p : model.trainable_parameters()) {
    at::Tensor parameter = p.tensor;
    parameter.mutable_grad() = at::Tensor();
  }
  MoeStats moe;
  // chunk_tokens 4: the head recomputes its chunks in backward on both paths.
  const LogProbOptions options{.with_entropy = true, .entropy_grad = true, .chunk_tokens = 4, .moe = &moe};
  const CompletionLogProbs lp = packed ? packed_completion_logprobs(model, kPrompts, kCompletions, kPacking, options)
                                       : completion_logprobs(model, kPrompts, kCompletions, options);
  at::Tensor loss =
      (lp.logprobs * cell_weights(lp.logprobs, 0.5)).sum() + (lp.entropy * cell_weights(lp.entropy, 1.5)).sum();
  if (moe.aux_loss.defined()) loss = loss + moe.aux_loss;
  loss.backward();
  Result r{lp.logprobs.detach(),
           lp.entropy.detach(),
           lp.mask,
           moe.aux_loss.defined() ? moe.aux_loss.detach() : moe.aux_loss,
           {}};
  for (const NamedTensor& p : model.trainable_parameters()) {
    r.grads.push_back(p.tensor.grad().defined() ? p.tensor.grad().clone() : at::zeros_like(p.tensor));
  }
  return r;
}

void check_same(const Result& padded, const Result& packed) {
  REQUIRE(padded.logprobs.sizes() == packed.logprobs.sizes());
  CHECK(at::equal(padded.mask, packed.mask));
  CHECK(at::allclose(padded.logprobs, packed.logprobs, 1e-5, 1e-5));
  CHECK(at::allclose(padded.entropy, packed.entropy, 1e-5, 1e-5));
  CHECK(padded.aux_loss.defined() == packed.aux_loss.defined());
  if (padded.aux_loss.defined()) CHECK(at::allclose(padded.aux_loss, packed.aux_loss, 1e-5, 1e-6));
  REQUIRE(padded.grads.size() == packed.grads.size());
  for (std::size_t i = 0; i < padded.grads.size(); ++i) {
    CAPTURE(i);
    // Different matmul shapes and summation orders: float32 rounding, relative to the gradient's scale.
    const double scale = padded.grads[i].abs().max().item<double>();
    const double diff = (padded.grads[i] - packed.grads[i]).abs().max().item<double>();
    CAPTURE(scale, diff);
    CHECK(diff <= 1e-5 * scale + 1e-7);
  }
}

ModelConfig family_config(const std::string& name) {
  if (name == "llama") {
    ModelConfig c = tiny_config(Family::kLlama);
    // Llama 3.1 scaling with a short original context, so that it changes the tiny model's frequencies.
    c.rope_scaling = {.type = RopeScalingType::kLlama3, .factor = 8, .original_max_position = 16};
    return c;
  }
  if (name == "qwen2") {
    ModelConfig c = tiny_config(Family::kQwen2);
    c.rope_scaling = {.type = RopeScalingType::kLinear, .factor = 4};
    return c;
  }
  if (name == "qwen3") return tiny_config(Family::kQwen3);
  if (name == "qwen3_moe") return tiny_config(Family::kQwen3, /*moe=*/true);
  return tiny_config(Family::kGemma2);
}

}  // namespace

TEST_CASE("packed log-probs, entropies and gradients equal the padded batch's for every family") {
  for (const std::string name : {"llama", "qwen2", "qwen3", "qwen3_moe", "gemma2"}) {
    for (const bool lora : {false, true}) {
      CAPTURE(name, lora);
      Transformer model(family_config(name), 17);
      if (lora) {
        attach_lora(model, {.rank = 2, .alpha = 4, .target_modules = {"q_proj", "v_proj"}}, 5);
        // B starts at zero: give it values so that the adapters change the outputs and A gets gradients.
        for (const NamedTensor& p : model.adapter_parameters()) {
          const at::NoGradGuard no_grad;
          at::Tensor t = p.tensor;
          t.copy_(cell_weights(t, 0.25) * 0.05);
        }
      } else {
        model.set_requires_grad(true);
      }
      check_same(run(model, false), run(model, true));
    }
  }
}

TEST_CASE("shared prompts give each completion the log-probs, entropies and gradients of its own prompt copy") {
  // Two prompts of 4 and 2 tokens with three and two completions (one empty): in row 0 the first prompt is laid
  // out once for sequences 0 and 1, then the second once for 3 and 4, then the first again for 2 (the prompt laid
  // out last in the row is the second); row 1 holds sequence 5 alone. Gemma 2's sliding window (4 tokens) must
  // count positions, not slots, across the shared prompt. No MoE statistics: they count a shared prompt once.
  const std::vector<std::vector<int64_t>> prompts = {{3, 4, 5, 6}, {3, 4, 5, 6}, {3, 4, 5, 6}, {7, 8}, {7, 8}, {9}};
  const std::vector<std::vector<int64_t>> completions = {{12, 13, 14, 15, 16}, {17, 18}, {19, 20, 21},
                                                         {22, 23, 24, 25},     {},       {26, 27}};
  const std::vector<std::vector<int64_t>> packing = {{0, 1, 3, 4, 2}, {5}};
  for (const std::string name : {"llama", "qwen2", "qwen3", "qwen3_moe", "gemma2"}) {
    for (const bool checkpointing : {false, true}) {
      CAPTURE(name, checkpointing);
      Transformer model(family_config(name), 17);
      model.set_requires_grad(true);
      model.set_activation_checkpointing(checkpointing);
      const auto run_shared = [&](bool shared) {
        for (const NamedTensor& p : model.trainable_parameters()) {
          at::Tensor parameter = p.tensor;
          parameter.mutable_grad() = at::Tensor();
        }
        const LogProbOptions options{
            .with_entropy = true, .entropy_grad = true, .chunk_tokens = 4, .share_prompts = shared};
        const CompletionLogProbs lp = shared ? packed_completion_logprobs(model, prompts, completions, packing, options)
                                             : completion_logprobs(model, prompts, completions, options);
        ((lp.logprobs * cell_weights(lp.logprobs, 0.5)).sum() + (lp.entropy * cell_weights(lp.entropy, 1.5)).sum())
            .backward();
        Result r{lp.logprobs.detach(), lp.entropy.detach(), lp.mask, at::Tensor(), {}};
        for (const NamedTensor& p : model.trainable_parameters()) {
          r.grads.push_back(p.tensor.grad().defined() ? p.tensor.grad().clone() : at::zeros_like(p.tensor));
        }
        return r;
      };
      check_same(run_shared(false), run_shared(true));
    }
  }
}

TEST_CASE("the shared-prefix mask is what lets completions see their prompt") {
  // One prompt [3, 4, 5] (segment 2) and two completions after it (segments 0 and 1, positions from 3): with the
  // prefix named, the second completion's states are those it has after its own copy of the prompt; without
  // it, it sees nothing before itself and they differ.
  const Transformer model(tiny_config(Family::kQwen3), 17);
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  const at::Tensor ids = at::tensor({3, 4, 5, 6, 7, 8, 9}, long_opts).view({1, 7});
  const at::Tensor positions = at::tensor({0, 1, 2, 3, 4, 3, 4}, long_opts).view({1, 7});
  const at::Tensor segments = at::tensor({2, 2, 2, 0, 0, 1, 1}, long_opts).view({1, 7});
  const at::Tensor prefixes = at::tensor({2, 2, 2, 2, 2, 2, 2}, long_opts).view({1, 7});
  const at::Tensor shared = model.packed_hidden_states(ids, positions, segments, nullptr, prefixes);
  const at::Tensor apart = model.packed_hidden_states(ids, positions, segments);
  const at::Tensor own =
      model.packed_hidden_states(at::tensor({3, 4, 5, 8, 9}, long_opts).view({1, 5}),
                                 at::arange(5, long_opts).view({1, 5}), at::zeros({1, 5}, long_opts));
  CHECK(at::allclose(shared.narrow(1, 5, 2), own.narrow(1, 3, 2), 1e-5, 1e-5));
  CHECK_FALSE(at::allclose(apart.narrow(1, 5, 2), own.narrow(1, 3, 2), 1e-3, 1e-3));
  CHECK_THROWS_AS(model.packed_hidden_states(ids, positions, segments, nullptr, prefixes.narrow(1, 0, 6)),
                  spct::InputError);
}

TEST_CASE("packed passes under activation checkpointing give the plain packed gradients") {
  // Each checkpointed layer recomputes in backward from the masks it captured: the block-diagonal one included.
  for (const bool moe : {false, true}) {
    CAPTURE(moe);
    Transformer model(tiny_config(Family::kQwen3, moe), 17);
    model.set_requires_grad(true);
    const Result plain = run(model, true);
    model.set_activation_checkpointing(true);
    check_same(plain, run(model, true));
  }
}

TEST_CASE("the block-diagonal mask is what keeps packed sequences apart") {
  // Not vacuous: the same packed row read as one sequence (every token segment 0) changes the later sequence's
  // states, for Gemma 2's sliding layer too.
  for (const Family family : {Family::kQwen3, Family::kGemma2}) {
    CAPTURE(static_cast<int>(family));
    const Transformer model(tiny_config(family), 17);
    const auto long_opts = at::TensorOptions().dtype(at::kLong);
    const at::Tensor ids = at::tensor({3, 4, 5, 6, 7, 8, 9, 10}, long_opts).view({1, 8});
    const at::Tensor positions = at::tensor({0, 1, 2, 3, 0, 1, 2, 3}, long_opts).view({1, 8});
    const at::Tensor two = at::tensor({0, 0, 0, 0, 1, 1, 1, 1}, long_opts).view({1, 8});
    const at::Tensor one = at::zeros({1, 8}, long_opts);
    const at::Tensor apart = model.packed_hidden_states(ids, positions, two);
    const at::Tensor together = model.packed_hidden_states(ids, positions, one);
    CHECK(at::allclose(apart.narrow(1, 0, 4), together.narrow(1, 0, 4)));
    CHECK_FALSE(at::allclose(apart.narrow(1, 4, 4), together.narrow(1, 4, 4), 1e-3, 1e-3));
    // The second sequence alone, in a row of its own, gets the packed states.
    const at::Tensor alone =
        model.packed_hidden_states(ids.narrow(1, 4, 4), positions.narrow(1, 4, 4), at::zeros({1, 4}, long_opts));
    CHECK(at::allclose(apart.narrow(1, 4, 4), alone, 1e-5, 1e-5));
  }
}

TEST_CASE("a packing that does not list every sequence exactly once is refused") {
  const Transformer model(tiny_config(Family::kQwen3), 17);
  const auto refuses = [&](const std::vector<std::vector<int64_t>>& packing, const std::string& what) {
    CAPTURE(what);
    CHECK_THROWS_AS(packed_completion_logprobs(model, kPrompts, kCompletions, packing), spct::InputError);
    CHECK_THROWS_WITH(packed_completion_logprobs(model, kPrompts, kCompletions, packing),
                      Catch::Matchers::Contains(what));
  };
  refuses({{0, 1}, {4, 2}}, "sequence 3 is in no packed row");
  refuses({{0, 1, 1}, {4, 2, 3}}, "lists sequence 1 a second time");
  refuses({{0, 1}, {4, 2, 3, 5}}, "outside [0, 5)");
}
