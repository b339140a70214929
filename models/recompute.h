// Recomputation in backward ("activation checkpointing"): run a function without keeping its intermediate
// tensors for autograd, and run it again during backward to get its gradients. Memory then holds only the
// function's inputs and outputs; the price is one more forward pass of the function.
//
// The spct model uses it for two things: a decoder layer (Transformer::set_activation_checkpointing) and a chunk
// of the language-model head in models/logprobs.cpp (so the [tokens x vocab] logits of one chunk at a time exist).
//
// Gradients reach the function's inputs through the autograd graph, and every tensor the function reads that
// requires grad (the model's parameters, captured by the function) through a nested backward pass during the
// outer one: their .grad accumulates as it would without recomputation. So the outer pass must be a plain
// backward() (torch::autograd::grad() on parameters would miss them), as with PyTorch's reentrant checkpoint.
//
// Thread safety: as the function's; the function must compute the same values every time it is called with the
// same inputs (no randomness), and must stay callable until the backward pass has run.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <functional>
#include <vector>

namespace spct::models {

// fn(inputs, recomputing): `recomputing` is true for the call made during backward, where only the
// differentiable outputs are used (the rest may be left out; side effects such as metrics should be skipped).
using RecomputeFn = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs, bool recomputing)>;

// fn's outputs. The first `differentiable` outputs carry gradients back; the others are returned as data (no
// gradient). Without autograd (grad mode off) this is just fn(inputs, false). Inputs must be defined; at least
// one should be floating. An input that does not require grad is still treated as one (its gradient is dropped),
// so parameters read inside fn get gradients even when no input needs them (e.g. LoRA on a frozen embedding).
std::vector<at::Tensor> recompute_in_backward(const RecomputeFn& fn, const std::vector<at::Tensor>& inputs,
                                              std::size_t differentiable);

}  // namespace spct::models
