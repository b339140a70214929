// Sampling's last step on the CPU: for each row of probabilities [B, C] (float32), the first candidate whose
// cumulative mass reaches draws[row] times the row's total, [B, 1] int64. It is exactly what
// searchsorted(cumsum(probs), u * cdf[last]).clamp_max(last) picks, without writing the [B, C] CDF: ATen's CPU
// cumsum adds float32 values into a double and stores each partial sum as float32; this adds in the same order
// and compares the same float32 values. The first pass also keeps the running sum at every 64th candidate, so
// the second scans one block.
//
// Speed: a row's sum is one chain of dependent double additions (its order is the contract), so one chain runs
// at the adder's latency. Four rows are summed side by side, four independent chains, and the rows are split over
// ATen's intra-op threads: at batch 64 and a 152k vocabulary, 9.9 -> 3.1 ms on 2 threads of the Intel build
// machine (the previous version was one chain per row, and ran on one thread: its at::parallel_for was compiled
// without OpenMP).
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace spct::models {

// REQUIRES: probs is a CPU float32 [B, C] tensor with C >= 1, draws.size() == B, each draw in [0, 1).
at::Tensor inverse_cdf_cpu(const at::Tensor& probs, const std::vector<float>& draws);

// The same on the calling thread for `rows` contiguous rows of C float32 probabilities at `probs`: out[i] is row
// i's candidate for draws[i]. For callers that split the rows over threads themselves
// (models/temperature_sampling_cpu.h). REQUIRES: C >= 1, rows >= 0, each draw in [0, 1).
void inverse_cdf_rows(const float* probs, int64_t rows, int64_t c, const float* draws, int64_t* out);

}  // namespace spct::models
