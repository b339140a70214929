// Training the meta RM: binary cross-entropy between its logit for a critique and the critique's correctness
// label (1 = the critique picked the right best response by correctness.h's training rule, 0 = it did not or did
// not parse), with AdamW (learner/optimizer.h) at a constant learning rate. One process; no gradient sync.
//
// Not thread-safe: one thread owns the trainer and the model while it trains.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "learner/optimizer.h"
#include "models/scalar_head.h"

namespace spct::grm {

// One labelled critique, as meta_rm_tokens() gives it.
struct MetaRmExample {
  std::vector<int64_t> tokens;
  bool correct = false;
};

class MetaRmTrainer {
 public:
  // `model` is trained in place (every parameter) and must outlive the trainer.
  MetaRmTrainer(models::ScalarHeadModel& model, const learner::AdamWOptions& options);

  // One optimizer step on `batch`; returns its mean binary cross-entropy (before the step).
  // REQUIRES: !batch.empty(), every example has tokens.
  double step(const std::vector<const MetaRmExample*>& batch);

 private:
  models::ScalarHeadModel& model_;
  std::unique_ptr<learner::AdamW> optimizer_;
};

}  // namespace spct::grm
