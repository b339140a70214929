// Greedy decoding's pick on the CPU in one read of the logits: each row's first maximum and its log-probability
// log_softmax(x)[argmax] = -log(sum_v exp(x_v - max)), straight from float32 or bfloat16 logits. ATen's way (the
// logits widened to float32, max, log_softmax, gather) makes three passes over a [B, V] float32 copy: at batch 64
// and a 152k vocabulary 20-32 ms on 2 threads of the Intel build machine, this 4 (bench/models/bench_sampler.cpp).
//
// Numerics: the exponentials are a polynomial within 2 float32 roundings of exp, summed in float32 over 16 lanes
// in a fixed order, so a row's log-prob has the same bits whatever its batch, position or thread, and is within
// 1e-6 of log_softmax's. The token is the first index of the row's maximum, as at::max's; a row holding NaN picks
// its first NaN, with log-prob NaN.
#pragma once

#include <ATen/core/Tensor.h>

namespace spct::models {

struct GreedyPick {
  at::Tensor tokens;    // [B] int64
  at::Tensor logprobs;  // [B] float32
};

// Whether greedy_pick_cpu takes `logits`: a CPU [B, V] tensor, 1 <= V < 2^31 - 16, of float32 or bfloat16, rows
// contiguous.
bool greedy_pick_cpu_applies(const at::Tensor& logits);

// REQUIRES: greedy_pick_cpu_applies(logits). Rows are split over ATen's intra-op threads.
GreedyPick greedy_pick_cpu(const at::Tensor& logits);

}  // namespace spct::models
