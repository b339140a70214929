// The closing table of a pipeline: a report stage reads the eval.json of the eval stages it runs after (in that
// order) and turns them into one table, printed at the end of `spct pipeline run` and kept as summary.md and
// summary.json in the pipeline directory.
//
// Rows, per stage read (an eval stage's eval.json, orchestrator/eval/eval_report.h; a GRPO stage's
// metrics.jsonl when it has no eval.json):
//   a policy eval   one row: the policy's greedy verifier accuracy on held-out problems; n = items; with
//                   eval.samples > 0 a second row, "sampled verifier accuracy, k samples per item": the mean
//                   accuracy of the k sampled completions of every item; n = items x k
//   a GRM eval      one row per method in its file order: greedy, voting@k, metarm@k; n = items
//   a GRPO stage    two rows: the mean verifier/accuracy (sampled completions of training prompts) over its
//                   first and its last kTrainingWindow steps; n = steps. With a GRM reward and a verifier, two
//                   more (target grm): grm/verifier_agreement, the GRM's accuracy on the policy's own samples
//                   (train/step_metrics.h), over the first and last kTrainingWindow steps that logged it.
// Reward hacking guard: when either figure of a GRPO stage fell from its first to its last window by more than
// kDriftStandardErrors standard errors of the difference, `drift` holds a line saying so (the report prints it
// under the table): the policy got worse at the verified task, or the GRM worse at judging the policy's
// samples, while the policy optimised the GRM's reward. A policy eval whose paired difference with the FIRST
// policy eval of the same method and items (the policy before the training the report covers) is negative with
// p < kDriftPValue gets a DRIFT line too: the policy got worse on the held-out problems, which training-window
// figures can miss when the training prompts were hard from the start. (Not against any earlier eval: the arms
// of an ablation, two trained policies, may differ without either having got worse.)
// Every row carries the standard error of its accuracy, so a reader can tell a real gap from noise: for evals
// sqrt(p (1 - p) / n) over items, for a sampled row the spread of the items' mean accuracies / sqrt(items) (the
// samples of one item are not independent), for training rows the spread of the per-step accuracies /
// sqrt(steps). Two accuracies are clearly apart only when they differ by a few standard errors.
//
// Below the rows, paired comparisons (paired_comparison.h: the difference, its standard error and p-value on
// the same items) of the trends the SPCT story claims, chosen by these rules over rows that carry per-item
// scores (eval.json's correct_per_item; training rows have none):
//   within a GRM eval   voting@K vs voting@1 (K the largest voting k), and metarm@K vs voting@K
//   across stages       each row against the same target and method of the nearest EARLIER stage in the
//                       report's order that scored as many items: RL vs RFT (grm_final_eval vs grm_rft_eval),
//                       the policy after vs before training (greedy and sampled). Built-in tasks evaluate a
//                       fixed held-out set, so equal item counts of one task mean the same items.
//
// summary.json: {"pipeline": name, "rows": [{"stage", "target", "method", "model", "accuracy", "correct",
// "items", "std_error"}, ...], "comparisons": [{"name", "a", "b", "items", "accuracy_a", "accuracy_b",
// "difference", "std_error", "p_value"}, ...], "drift": ["DRIFT in stage ...", ...]}.
//
// Thread safety: pure functions, except write_summary, which writes files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/pipeline/paired_comparison.h"

namespace spct::pipeline {

// Steps at the start and at the end of a GRPO stage whose sampled accuracy the summary compares.
inline constexpr std::size_t kTrainingWindow = 10;
// How many standard errors of the first-vs-last difference a fall must exceed to be flagged as drift.
inline constexpr double kDriftStandardErrors = 2.0;
// The p-value below which a policy's fall on held-out items between two evals is flagged as drift.
inline constexpr double kDriftPValue = 0.05;

struct SummaryRow {
  std::string stage;   // the eval stage it comes from
  std::string target;  // "policy" or "grm"
  std::string method;  // "greedy verifier accuracy" (and the sampled row) for a policy; "greedy", "voting@4",
                       // "metarm@4" for a GRM
  std::string model;   // the model directory the stage evaluated
  double accuracy = 0;
  int64_t correct = 0;
  int64_t items = 0;     // eval items (x samples for a sampled row), or training steps
  double std_error = 0;  // see above; 0 when items is 0 (or 1 for a training row)
  // Each eval item's score in [0, 1] (0/1, or the fraction of its samples that are correct), in item order;
  // empty for training rows and for eval.json files written before it was kept.
  std::vector<double> per_item;
};

// A paired comparison of two rows on the same items: b's accuracy minus a's.
struct SummaryComparison {
  std::string name;  // e.g. "voting@8 vs voting@1 (grm_final_eval)"
  std::string a;     // "stage: method" of each side
  std::string b;
  PairedDifference result;
};

struct Summary {
  std::string pipeline;
  std::vector<SummaryRow> rows;
  std::vector<SummaryComparison> comparisons;
  std::vector<std::string> drift;  // reward-hacking warnings (see above); empty when nothing drifted

  // A Markdown table: | stage | target | method | accuracy | ± s.e. | n |; then, when there are comparisons,
  // | comparison | B - A | ± s.e. | p | n |.
  std::string markdown() const;
  std::string json() const;
};

// A stage as the report sees it: its name and run directory (which holds eval.json or metrics.jsonl).
struct EvalStageDir {
  std::string name;
  std::string run_dir;
};

// Reads <run_dir>/eval.json (or metrics.jsonl) of every stage, in order. Throws spct::InputError naming the file (and
// the key) when one is missing, unreadable or lacks what the table needs.
Summary build_summary(const std::string& pipeline_name, const std::vector<EvalStageDir>& stages);

// Writes summary.md and summary.json into `dir` (atomically). Throws spct::Error when they cannot be written.
void write_summary(const Summary& summary, const std::string& dir);

}  // namespace spct::pipeline
