// A scalar reward model as a policy's reward, named in reward.functions as NAME=scalar:MODEL_DIR: a scalar-head
// model (models/scalar_head.h; `spct train` with run.job scalar_rm writes one, in the meta RM's on-disk layout,
// grm_model/meta_rm.h) loaded into the reward worker, which scores every completion from the policy's prompt
// followed by the completion (meta_rm_text), the text it was trained on. A completion's reward is the sigmoid of
// its score, in [0, 1] like the GRM's voted score, so the two rewards are interchangeable in a config. It is the
// baseline of the SPCT ablation "scalar reward head vs GRM" (configs/ablations.yaml).
//
// It goes through the external-reward path (external/external_reward.h: a group in, one score per completion
// out, breakdown and metrics under NAME) but runs in this process and cannot fail once loaded.
//
// Thread safety: score() may run on several threads at once (no autograd, no state).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/scalar_head.h"
#include "models/tokenizer/tokenizer.h"
#include "workers/reward/external/external_reward.h"
#include "workers/reward/grm_model/model_load_options.h"

namespace spct::reward {

class ScalarReward final : public ExternalReward {
 public:
  // Loads the model in `dir` with the tokenizer load.tokenizer names (its files read from `dir`), on
  // load.device. Throws spct::InputError naming the file when `dir` is not a scalar-head model directory.
  ScalarReward(const std::string& dir, const grm::ModelLoadOptions& load);

  ExternalScores score(const ExternalGroup& group) override;  // no info

 private:
  std::shared_ptr<const models::ScalarHeadModel> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
};

}  // namespace spct::reward
