// The GRM training jobs `spct train` runs for run.job grm_rft, meta_rm and scalar_rm (SPCT, DeepSeek-GRM; section 3
// of algorithms.md). All run in this one process whatever the layout says: they train tiny to small models for
// which the sampling and the updates are cheaper than moving tensors between ranks. GRM online RL is not here:
// it is run.job grpo on preference prompts with the grm_correct reward (orchestrator/data/preference_prompts.h).
//
//   grm_rft  rejective fine-tuning (grm_rft_job.cpp):
//              0. the GRM: model.path, or a new model of the configured shape; with sft.warmup_steps, a
//                 supervised warm start on oracle critiques of the preference prompts (oracle_critique.h),
//                 standing in for the pretrained model the paper starts from (a 2-layer model knows nothing);
//              1. per round (grm.rft_rounds): grm.rft_items fresh preference items, grm.rft_samples critiques
//                 each sampled from the current GRM, kept or dropped by RftFilter (too-easy items dropped,
//                 optional hinted sampling), grm.rft_sft_steps fine-tuning steps on what was kept;
//              2. after every round: the greedy accuracy of the GRM on held-out items;
//              3. the GRM exported to <run>/model/ (Hugging Face layout).
//   meta_rm  the meta reward model (meta_rm_job.cpp):
//              1. grm.samples critiques per item sampled with the GRM at grm.model_path at grm.temperature, each
//                 labelled by correctness.h's training rule, for grm.meta_items training items and the held-out
//                 items;
//              2. a scalar-head model initialised from the GRM's backbone, trained with binary cross-entropy for
//                 grm.meta_train_steps steps of sft.batch_size critiques;
//              3. held-out accuracy and ROC AUC of its ratings, and the GRM's own greedy accuracy, in metrics;
//              4. the meta RM exported to <run>/model/ (meta_rm.h: load_meta_rm reads it back).
//   scalar_rm  a scalar reward model on the same preference items, the baseline a GRM is measured against as a
//              policy's reward (scalar_rm_job.cpp):
//              1. a scalar-head model (models/scalar_head.h) on the configured backbone (or model.path's);
//              2. sft.warmup_steps steps, each on sft.batch_size fresh training items: every response of an
//                 item, read after its query, labelled 1 when it is the best one, binary cross-entropy at sft.lr;
//              3. held-out accuracy: the share of data.eval_size items whose best response scores highest;
//              4. exported to <run>/model/ in the meta RM's layout; reward.functions NAME=scalar:DIR rewards a
//                 policy with it (workers/reward/scalar_rm/scalar_reward.h).
// Metrics go to <run>/metrics.jsonl, one line per round (grm_rft) or one line at the end (meta_rm, scalar_rm), named in
// docs/metrics.md; status.json says running / finished / failed.
#pragma once

#include "core/config/loader.h"

namespace spct::jobs {

// Runs the job config.run.job names. REQUIRES: run.job is grm_rft, meta_rm or scalar_rm. Throws spct::UsageError for
// unusable settings (no preference data, no grm.model_path for meta_rm), spct::InputError for unreadable models
// or data, spct::Error otherwise; the run directory's status says failed with the message.
void run_grm_job(const config::ResolvedConfig& resolved);

void run_grm_rft_job(const config::ResolvedConfig& resolved);
void run_meta_rm_job(const config::ResolvedConfig& resolved);
void run_scalar_rm_job(const config::ResolvedConfig& resolved);

}  // namespace spct::jobs
