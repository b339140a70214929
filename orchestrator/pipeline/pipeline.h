// A pipeline file: named stages, each one `spct train` or `spct eval` run of an experiment config, or a report
// of earlier eval stages, run in dependency order. The format (docs/slurm.md, configs/pipelines/,
// configs/quickstart.yaml):
//
//   pipeline: {name: spct, dir: runs}      # stage run directories are <dir>/<name>/<stage>
//   stages:
//     - name: grm_rl                        # [A-Za-z0-9_.-]+, unique
//       command: train                      # train (default) | eval | report
//       config: ../grm.yaml                 # relative to the pipeline file
//       overrides: [run.steps=50]           # section.key=value, applied after the config
//       after: []                           # stages it waits for; default: the previous stage
//     - name: policy
//       config:                             # or the experiment config itself, inline
//         run: {steps: 20}
//         reward: {functions: [grm]}
//       overrides: ["grm.model_path=${grm_rl}/model"]   # ${stage}: that stage's run directory
//     - name: report
//       command: report                     # no config: the table of the stages in `after`
//       after: [eval_before, eval_after]
//
// An inline config is checked where it is written (its problems name the pipeline file's line and column) and,
// since each stage runs as its own process, written to <pipeline dir>/<stage>.config.yaml before it runs
// (inline_config.h). A report stage runs inside `spct pipeline run` (summary.h).
//
// Rules, all checked by load_pipeline before anything runs: stage names are unique; `after` names earlier
// stages only (so the file order is a valid run order and there are no cycles); a `${stage}` reference names a
// stage this one depends on (directly or through others), so its output exists when the stage starts; run.dir
// and run.name are the pipeline's to set; every stage's config loads and passes its checks with its overrides;
// a report stage has no config or overrides and runs after eval or training stages only.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/node.h"

namespace spct::pipeline {

struct Stage {
  std::string name;
  std::string command;                 // "train", "eval" or "report"
  std::string config_path;             // absolute; for an inline config, where write_inline_config puts it
  std::string inline_config;           // the YAML text of an inline config; empty when `config` names a file
  std::vector<std::string> overrides;  // expanded; the pipeline's run.dir and run.name last
  std::vector<std::string> after;      // names of the stages this one waits for
  std::string run_dir;                 // absolute: <pipeline dir>/<pipeline name>/<stage name>
  config::Config config;               // the stage's resolved config (rank layout, slurm section)
  config::SourceLocation location;     // where the stage is declared

  // The arguments of `spct` that run this stage: {command, config_path, overrides...}. Not for a report.
  std::vector<std::string> arguments() const;

  bool is_report() const { return command == "report"; }
};

struct Pipeline {
  std::string file;  // the pipeline file as given
  std::string name;
  std::string dir;            // absolute: <pipeline.dir>/<pipeline.name>, the run.dir of every stage
  std::vector<Stage> stages;  // in file order, which is a valid run order

  // The stage called `stage_name`, or nullptr.
  const Stage* find(const std::string& stage_name) const;
};

// Reads and checks the pipeline file at `path` (empty: the embedded quickstart, configs/quickstart.yaml);
// `extra_overrides` (from the command line) apply to every train and eval stage after the stage's own.
// Relative `pipeline.dir` is relative to the current directory, like run.dir.
// Throws spct::UsageError listing every problem found, each as "file:line:column: message".
Pipeline load_pipeline(const std::string& path, const std::vector<std::string>& extra_overrides);

// Writes an inline-config stage's config to its config_path (creating the directory); does nothing for a
// stage whose config is a file. Throws spct::Error when the file cannot be written.
void write_inline_config(const Stage& stage);

// MPI ranks `spct <command>` needs for `config`: the GRPO job's layout (config/checks.h); `spct eval` and the
// single-process jobs (run.job grm_rft, meta_rm) need one.
int64_t run_ranks(const config::Config& config, const std::string& command);

// True when the YAML file at `path` is a pipeline (its top level has a `stages` key) rather than an experiment
// config. Throws spct::UsageError when the file cannot be read or parsed.
bool is_pipeline_file(const std::string& path);

}  // namespace spct::pipeline
