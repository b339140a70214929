// The tokenizer and the policy model of a run, as the config describes them: a Hugging Face model directory
// (model.path) or a new model of the configured shape, initialised from run.seed so that every rank that builds
// one gets the same weights.
#pragma once

#include <filesystem>
#include <memory>

#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"

namespace spct::train {

struct JobShapes;

std::unique_ptr<tokenizer::Tokenizer> make_run_tokenizer(const config::Config& config);

// The directory whose tokenizer files a saved model carries: tokenizer.path's directory for a Hugging Face
// tokenizer (model.path when that is empty); empty for the built-in char tokenizer, which needs no file.
std::filesystem::path tokenizer_source_of(const config::Config& config);

// The shapes of the models a job of `config` holds, read from config.json files and the tokenizer without
// loading any weights (for `spct train --dry-run`'s memory estimate).
JobShapes job_shapes(const config::Config& config);

// A model.path run's context check, which config validation cannot make (it reads no files): the longest
// sequence, data.max_prompt_tokens + rollout.max_new_tokens, must fit the loaded model's max_position
// (config.json's max_position_embeddings). Throws spct::UsageError naming both keys and the directory.
void check_context_fits(const config::Config& config, const models::ModelConfig& policy_shape);

// The policy in model.dtype (auto: the directory's torch_dtype; anything else casts at load), with
// model.activation_checkpointing applied, on `device` (an MPI rank passes rank_device(); default:
// process_device(config.model), device_setup.h). Throws spct::InputError for an unreadable model directory,
// spct::UsageError for an impossible shape or a context too short (check_context_fits).
std::unique_ptr<models::Transformer> make_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer);
std::unique_ptr<models::Transformer> make_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                                                 at::Device device);

}  // namespace spct::train
