// The meta reward model (DeepSeek-GRM's meta RM): a scalar-head transformer (models/scalar_head.h) that rates
// how trustworthy one sampled critique is. Its input is the text the GRM saw followed by what it wrote,
// meta_rm_text(prompt, critique); its output is a logit, higher = more likely that the critique picked the right
// best response (it is trained with binary cross-entropy on correctness.h's training rule: meta_rm_trainer.h).
//
// On disk a meta RM is a Hugging Face *ForSequenceClassification directory: config.json with the backbone's
// fields, "architectures": ["<Family>ForSequenceClassification"] and "num_labels": 1; the weights "model.*" and
// "score.weight" [1, hidden] in model.safetensors; the tokenizer files of the GRM it was trained for, when the
// GRM had any (the built-in char tokenizer has none).
//
// Thread safety: rate() and rate_critiques() are safe to call concurrently on one model (no autograd, no
// state); saving and loading are independent per directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/scalar_head.h"
#include "models/tokenizer/tokenizer.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm_model/model_load_options.h"

namespace spct::grm {

// What the meta RM reads for one critique: the GRM prompt, then the critique.
std::string meta_rm_text(std::string_view prompt, std::string_view critique);

// Tokens of meta_rm_text(prompt, critique), truncated from the left to the model's max_position so that the
// critique and the end of the prompt are always seen.
std::vector<int64_t> meta_rm_tokens(const tokenizer::Tokenizer& tokenizer, std::string_view prompt,
                                    std::string_view critique, int64_t max_position);

// Ratings (logits) of (prompt, critique) pairs, in order, in batches of at most `max_batch`, without autograd.
// REQUIRES: prompts.size() == critiques.size().
std::vector<double> rate_critiques(const models::ScalarHeadModel& model, const tokenizer::Tokenizer& tokenizer,
                                   const std::vector<std::string>& prompts, const std::vector<std::string>& critiques,
                                   int64_t max_batch = 64);

// Writes `model` into `dir` (created when missing) in the layout above; copies the tokenizer files found in
// `tokenizer_source` (empty: none). Throws spct::Error on I/O failure.
void save_meta_rm(const models::ScalarHeadModel& model, const std::filesystem::path& dir,
                  const std::filesystem::path& tokenizer_source = {});

// Loads a meta RM saved by save_meta_rm (or any Llama/Qwen *ForSequenceClassification directory with
// num_labels 1). Throws spct::InputError naming the file and key or tensor when it is not one.
// On `device`.
std::unique_ptr<models::ScalarHeadModel> load_meta_rm(const std::filesystem::path& dir, at::Device device = at::kCPU);

// The backbone shape of the meta RM in `dir` (config.json only), with the same checks as load_meta_rm.
models::ModelConfig read_meta_rm_config(const std::filesystem::path& dir);

// The CritiqueRater over a loaded meta RM, for meta-RM guided voting.
class MetaRmRater final : public CritiqueRater {
 public:
  // REQUIRES: model and tokenizer non-null.
  MetaRmRater(std::shared_ptr<const models::ScalarHeadModel> model,
              std::shared_ptr<const tokenizer::Tokenizer> tokenizer);

  std::vector<double> rate(const std::vector<std::string>& prompts, const std::vector<std::string>& critiques) override;

 private:
  const std::shared_ptr<const models::ScalarHeadModel> model_;
  const std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
};

// load_meta_rm(dir) on load.device, with the tokenizer load.tokenizer names (reading tokenizer files from `dir`).
std::unique_ptr<MetaRmRater> load_meta_rm_rater(const std::string& dir, const ModelLoadOptions& load);

}  // namespace spct::grm
