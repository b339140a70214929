#include "learner/advantages.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace spct::learner {
namespace {

void check_group(std::span<const double> rewards) {
  if (rewards.empty()) throw Error(ExitCode::kFailure, "group advantages: empty group of rewards");
  for (size_t i = 0; i < rewards.size(); ++i) {
    if (!std::isfinite(rewards[i])) {
      throw Error(ExitCode::kFailure,
                  "group advantages: reward " + std::to_string(i) + " is " + std::to_string(rewards[i]));
    }
  }
}

void check_batch(std::span<const double> rewards, int64_t group_size) {
  if (group_size < 1) {
    throw Error(ExitCode::kFailure, "batch advantages: group size " + std::to_string(group_size) + " < 1");
  }
  if (rewards.empty() || rewards.size() % static_cast<size_t>(group_size) != 0) {
    throw Error(ExitCode::kFailure, "batch advantages: " + std::to_string(rewards.size()) +
                                        " rewards is not a non-zero multiple of the group size " +
                                        std::to_string(group_size));
  }
}

}  // namespace

std::vector<double> group_advantages(std::span<const double> rewards, const AdvantageOptions& options) {
  check_group(rewards);
  if (options.std_normalize && !(options.eps > 0)) {
    throw Error(ExitCode::kFailure, "group advantages: eps " + std::to_string(options.eps) + " must be > 0");
  }
  const double n = static_cast<double>(rewards.size());
  double mean = 0;
  for (const double r : rewards) mean += r;
  mean /= n;
  std::vector<double> advantages;
  advantages.reserve(rewards.size());
  for (const double r : rewards) advantages.push_back(r - mean);
  // An all-equal group must give exact zeros (r - mean can be off by an ulp when mean is not representable).
  if (is_zero_variance(rewards)) return std::vector<double>(rewards.size(), 0.0);
  if (!options.std_normalize) return advantages;

  double squares = 0;
  for (const double a : advantages) squares += a * a;
  const double std = rewards.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  for (double& a : advantages) a /= std + options.eps;
  return advantages;
}

std::vector<double> batch_advantages(std::span<const double> rewards, int64_t group_size,
                                     const AdvantageOptions& options) {
  check_batch(rewards, group_size);
  const size_t g = static_cast<size_t>(group_size);
  std::vector<double> advantages;
  advantages.reserve(rewards.size());
  for (size_t start = 0; start < rewards.size(); start += g) {
    const std::vector<double> group = group_advantages(rewards.subspan(start, g), options);
    advantages.insert(advantages.end(), group.begin(), group.end());
  }
  return advantages;
}

bool is_zero_variance(std::span<const double> rewards) {
  check_group(rewards);
  for (const double r : rewards) {
    if (r != rewards.front()) return false;
  }
  return true;
}

double zero_variance_fraction(std::span<const double> rewards, int64_t group_size) {
  check_batch(rewards, group_size);
  const size_t g = static_cast<size_t>(group_size);
  size_t zero = 0;
  for (size_t start = 0; start < rewards.size(); start += g) {
    if (is_zero_variance(rewards.subspan(start, g))) ++zero;
  }
  const size_t groups = rewards.size() / g;  // whole groups: REQUIRES says the size is a multiple of g
  return static_cast<double>(zero) / static_cast<double>(groups);
}

}  // namespace spct::learner
