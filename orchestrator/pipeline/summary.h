// The closing table of a pipeline: a report stage reads the eval.json of the eval stages it runs after (in that
// order) and turns them into one table, printed at the end of `spct pipeline run` and kept as summary.md and
// summary.json in the pipeline directory.
//
// Rows, per eval stage (eval.json, orchestrator/eval/eval_report.h):
//   a policy eval   one row: the policy's greedy verifier accuracy
//   a GRM eval      one row per method in its file order: greedy, voting@k, metarm@k
// Every row carries the number of items and the standard error of its accuracy, sqrt(p (1 - p) / n), so a
// reader can tell a real gap from noise: two accuracies on the same n items are clearly apart only when they
// differ by a few standard errors.
//
// summary.json: {"pipeline": name, "rows": [{"stage", "target", "method", "model", "accuracy", "correct",
// "items", "std_error"}, ...]}.
//
// Thread safety: pure functions, except write_summary, which writes files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spct::pipeline {

struct SummaryRow {
  std::string stage;   // the eval stage it comes from
  std::string target;  // "policy" or "grm"
  std::string method;  // "greedy verifier accuracy" for a policy; "greedy", "voting@4", "metarm@4" for a GRM
  std::string model;   // the model directory the stage evaluated
  double accuracy = 0;
  int64_t correct = 0;
  int64_t items = 0;
  double std_error = 0;  // sqrt(accuracy (1 - accuracy) / items); 0 when items is 0
};

struct Summary {
  std::string pipeline;
  std::vector<SummaryRow> rows;

  // A Markdown table: | stage | target | method | accuracy | ± s.e. | items |.
  std::string markdown() const;
  std::string json() const;
};

// An eval stage as the report sees it: its name and run directory (which holds eval.json).
struct EvalStageDir {
  std::string name;
  std::string run_dir;
};

// Reads <run_dir>/eval.json of every stage, in order. Throws spct::InputError naming the file (and the key)
// when one is missing, unreadable or lacks what the table needs.
Summary build_summary(const std::string& pipeline_name, const std::vector<EvalStageDir>& stages);

// Writes summary.md and summary.json into `dir` (atomically). Throws spct::Error when they cannot be written.
void write_summary(const Summary& summary, const std::string& dir);

}  // namespace spct::pipeline
