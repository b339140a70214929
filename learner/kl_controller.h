// The KL coefficient beta between training steps: fixed, or adaptive (Ziegler et al. 2019, as verl and
// OpenRLHF implement it): after each step with measured per-token KL `kl` over `n` samples,
//   e = clamp(kl / target - 1, -0.2, 0.2),   beta <- beta * (1 + e * n / horizon)
// so beta grows while the policy drifts further than the target and shrinks while it stays closer, by at
// most 20% per `horizon` samples.
//
// Tensor-free. Not thread-safe: one learner owns it and updates it once per step. Its state is one number:
// checkpoint beta() and restore it with set_beta().
#pragma once

#include <cstdint>

namespace spct::learner {

class KlController {
 public:
  // A fixed controller keeps initial_beta; target > 0 makes it adaptive.
  // REQUIRES: initial_beta >= 0, target >= 0, horizon >= 1; throws spct::UsageError naming the grpo key.
  KlController(double initial_beta, double target, int64_t horizon);

  // Feeds one step's measured mean token KL over `samples` completions; a fixed controller ignores it.
  // REQUIRES: samples >= 0. A non-finite kl leaves beta unchanged (the step's metrics report it).
  void update(double kl, int64_t samples);

  double beta() const { return beta_; }
  void set_beta(double beta);
  bool adaptive() const { return target_ > 0; }

 private:
  double beta_;
  const double target_;
  const int64_t horizon_;
};

}  // namespace spct::learner
