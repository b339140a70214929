// What the GRM training jobs share: threads, the preference data, held-out accuracy of a GRM, ROC AUC, model
// export, and running a job body inside its run directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/config/loader.h"
#include "core/metrics.h"
#include "models/scalar_head.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"
#include "orchestrator/data/preference_prompts.h"
#include "orchestrator/run/metrics_log.h"
#include "orchestrator/run/run_directory.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm/prompt_template.h"

namespace spct::jobs {

// run::intra_op_threads with every core of the machine as the share (these jobs are one process).
void set_job_threads(const config::Config& config);

// The preference data (data.task preference, or data.format preference with data.path), with prompts checked
// against data.max_prompt_tokens in `tokenizer`'s tokens. Throws spct::UsageError naming the keys when the data
// are not preference data.
data::PreferenceSources load_preference_data(const config::Config& config, const tokenizer::Tokenizer& tokenizer);

// Items first .. first+count-1 of `source`, wrapping around a finite source.
std::vector<grm::PreferenceItem> take_items(const data::PreferencePrompts& source, uint64_t first, uint64_t count);

struct GrmAccuracy {
  int64_t items = 0;
  double accuracy = 0;            // critiques correct by the training rule (ties and parse failures are wrong)
  double parse_failure_rate = 0;  // critiques whose scores did not parse
};

// One greedy critique (temperature 0) per item of `source` (its first `count` items, in their shown orders),
// judged against the truth. All prompts go to the sampler in one call.
GrmAccuracy evaluate_grm(const grm::PromptTemplate& prompt, grm::CritiqueSampler& sampler,
                         const data::PreferencePrompts& source, uint64_t count);

// A scalar-head model (models/scalar_head.h) whose backbone is a copy of `backbone`'s weights and whose score head
// is new (from `seed`): the meta RM starts from its GRM, the scalar RM from the configured model.
std::unique_ptr<models::ScalarHeadModel> scalar_model_from(const models::Transformer& backbone, uint64_t seed);

// Writes `model` to <run>/model/ with the tokenizer files of model.path (when it is set).
void export_model(const models::Transformer& model, const run::RunDirectory& dir, const config::Config& config);

// Creates the run directory, runs `body` with it and a metrics log, and records the outcome in status.json:
// "finished" at the step `body` returns, or "failed" with the message before the exception propagates.
// These jobs take minutes and write no checkpoints: run again (a requeued SLURM job, a rerun pipeline), an
// unfinished run starts again from its beginning in the same directory (its earlier metrics lines are moved to
// metrics.discarded.jsonl), a finished one is left alone, and a changed experiment is refused as for GRPO runs
// (orchestrator/train/resume.h).
void run_in_directory(const config::ResolvedConfig& resolved,
                      const std::function<int64_t(const run::RunDirectory&, run::MetricsLog&)>& body);

}  // namespace spct::jobs
