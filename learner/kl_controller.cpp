#include "learner/kl_controller.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace spct::learner {

KlController::KlController(double initial_beta, double target, int64_t horizon)
    : beta_(initial_beta), target_(target), horizon_(horizon) {
  if (!(initial_beta >= 0) || !std::isfinite(initial_beta)) {
    throw UsageError("grpo.beta: " + std::to_string(initial_beta) + " must be finite and >= 0");
  }
  if (!(target >= 0) || !std::isfinite(target)) {
    throw UsageError("grpo.kl_target: " + std::to_string(target) + " must be finite and >= 0");
  }
  if (horizon < 1) throw UsageError("grpo.kl_horizon: " + std::to_string(horizon) + " must be >= 1");
}

void KlController::update(double kl, int64_t samples) {
  if (samples < 0) throw Error(ExitCode::kFailure, "KL controller: negative sample count " + std::to_string(samples));
  if (!adaptive() || !std::isfinite(kl)) return;
  const double error = std::clamp(kl / target_ - 1.0, -0.2, 0.2);
  // A batch larger than the horizon could drive the factor below 0; beta is a penalty weight, so stop at 0.
  beta_ *= std::max(0.0, 1.0 + error * static_cast<double>(samples) / static_cast<double>(horizon_));
}

void KlController::set_beta(double beta) {
  if (!(beta >= 0) || !std::isfinite(beta)) {
    throw Error(ExitCode::kFailure, "KL controller: beta " + std::to_string(beta) + " must be finite and >= 0");
  }
  beta_ = beta;
}

}  // namespace spct::learner
