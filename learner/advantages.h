// Group-relative advantages for GRPO and its variants, computed from the scalar rewards of each group (the G
// completions sampled for one prompt). Tensor-free: the orchestrator calls this on plain rewards and hands
// the learner one advantage per completion.
//
// Conventions (the papers leave both open):
//   - std is the SAMPLE standard deviation, sqrt(sum (r_i - mean)^2 / (G - 1)), as verl and TRL compute it
//     (torch.std), so advantages match those peers for the same rewards. A group of one has std 0.
//   - the guard eps is added to std, not to the variance: A_i = (r_i - mean) / (std + eps), eps = 1e-6 by
//     default. With equal rewards every advantage is exactly 0, whatever eps.
//
// Dynamic sampling (DAPO): a group whose rewards are all equal carries no learning signal (every advantage is
// 0). This file provides the predicate and the metric; dropping such groups and sampling more prompts to
// refill the batch is the orchestrator's job.
//
// Thread safety: free functions on values; safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace spct::learner {

struct AdvantageOptions {
  // true: A_i = (r_i - mean) / (std + eps) (GRPO). false: A_i = r_i - mean (Dr. GRPO).
  bool std_normalize = true;
  // Added to the sample std before dividing; ignored when std_normalize is false. REQUIRES: eps > 0.
  double eps = 1e-6;
};

// Advantages of one group, in the order of `rewards`.
// REQUIRES: rewards is not empty and every reward is finite; throws spct::Error naming the index otherwise.
std::vector<double> group_advantages(std::span<const double> rewards, const AdvantageOptions& options);

// Advantages of a batch of consecutive groups of `group_size` rewards each: rewards[g * group_size + i] is
// completion i of prompt g. Same layout out.
// REQUIRES: group_size >= 1 and rewards.size() is a non-zero multiple of group_size; throws spct::Error.
std::vector<double> batch_advantages(std::span<const double> rewards, int64_t group_size,
                                     const AdvantageOptions& options);

// True when every reward of the group is exactly equal (all advantages are 0): the dynamic-sampling predicate.
// Exact comparison on purpose: rule rewards are discrete, and any real difference is a learning signal.
// REQUIRES: rewards is not empty.
bool is_zero_variance(std::span<const double> rewards);

// The fraction (0..1) of the batch's groups that are zero-variance: the "zero-std groups" metric.
// REQUIRES: as batch_advantages.
double zero_variance_fraction(std::span<const double> rewards, int64_t group_size);

}  // namespace spct::learner
