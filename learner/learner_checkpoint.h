// A learner's part of a checkpoint, written into the checkpoint's staging directory:
//   model/                  the policy in Hugging Face format (config.json, model.safetensors, tokenizer files
//                           when the run's model directory has them), loadable by any HF-compatible tool
//   adapter/                with LoRA (model.lora.rank > 0): the policy's adapters as a PEFT adapter directory
//                           (models/io/peft_adapter.h); model/ then holds the frozen base
//   optimizer.safetensors   AdamW's state (learner/optimizer.h names: step, exp_avg.<i>, exp_avg_sq.<i> in
//                           float32, and master.<i>, the float32 master of each 16-bit parameter)
//   reference.safetensors   the frozen reference model's parameters and LoRA adapters (it drifts from the
//                           starting model with grpo.ref_reset_every, so a pointer to model.path would not do)
//   learner.json            {"kl_beta": ..., "optimizer_steps": ...}
// Everything is stored in the tensors' own dtype, so a restored learner continues bit-identically (a bf16
// policy's weights are its masters rounded, and the masters themselves come back from optimizer.safetensors).
//
// With data-parallel learners every learner holds the same state after every step (grpo_learner.h), so learner 0
// alone writes it and every learner restores from the same files. With distributed.zero_stage 1 or 2 each learner
// holds a slice of the optimizer state: the learners gather it (GrpoLearner::optimizer_state(), collective),
// learner 0 keeps and writes it in the unsharded format, and on restore each learner keeps its slice. So a
// checkpoint does not depend on the learner count or stage that wrote it: a run resumes with other values of
// layout.learners (with --allow-config-change) or distributed.zero_stage.
#pragma once

#include <filesystem>

#include "learner/grpo_learner.h"
#include "models/transformer.h"

namespace spct::learner {

// Writes the files above into `dir` (which must exist). `tokenizer_source` is a directory whose tokenizer files
// are copied into model/ (empty: none). Throws spct::Error on an I/O failure.
// Takes the optimizer state from the learner: a single learner, or every learner at once (collective when sharded).
void save_learner_checkpoint(GrpoLearner& learner, const models::Transformer& policy, const std::filesystem::path& dir,
                             const std::filesystem::path& tokenizer_source);
// As above with the optimizer state already gathered (GrpoLearner::optimizer_state() on every learner), so that
// only the learner that writes calls this.
void save_learner_checkpoint(GrpoLearner& learner, const models::Transformer& policy, const std::filesystem::path& dir,
                             const std::filesystem::path& tokenizer_source, const NamedTensors& optimizer_state);

// Restores `policy`'s weights and the learner's optimizer, reference model and counters from `dir`. Throws
// spct::InputError naming the file and tensor when the checkpoint does not fit this model and optimizer; nothing
// is half-restored then for the tensors checked (shapes are checked before any write).
void load_learner_checkpoint(GrpoLearner& learner, models::Transformer& policy, const std::filesystem::path& dir);

// Loads only the policy weights of a checkpoint (what a rollout worker needs), and its LoRA adapter when it has
// one (attached first when the policy has none). Throws spct::InputError when the policy has adapters and the
// checkpoint none.
void load_policy_from_checkpoint(models::Transformer& policy, const std::filesystem::path& dir);

}  // namespace spct::learner
