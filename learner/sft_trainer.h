// Supervised fine-tuning of a policy on (prompt, target) token pairs: the masked mean negative log-likelihood of
// the targets (learner/sft_loss.h), AdamW at a constant learning rate, gradients averaged over data-parallel
// learners. Used for the warm start before GRPO, and for rejective fine-tuning.
//
// Not thread-safe: the learner rank's main thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/comm/communicator.h"
#include "distributed/grad_sync.h"
#include "learner/optimizer.h"
#include "models/transformer.h"

namespace spct::learner {

class SftTrainer {
 public:
  // `policy` is trained in place and must outlive the trainer. `peers`: all learners (nullptr or size 1 for
  // one); every learner must call step() with the same number of examples.
  SftTrainer(models::Transformer& policy, double lr, comm::Communicator* peers, std::size_t bucket_bytes);
  ~SftTrainer();

  // One optimizer step on this learner's examples; returns the loss (mean over learners).
  double step(const std::vector<std::vector<int64_t>>& prompts, const std::vector<std::vector<int64_t>>& targets);

 private:
  models::Transformer& policy_;
  comm::Communicator* const peers_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<distributed::GradSync> grad_sync_;
};

}  // namespace spct::learner
