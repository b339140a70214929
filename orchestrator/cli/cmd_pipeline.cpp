// `spct pipeline show|run [FILE] [overrides]`; no FILE: the embedded quickstart story (configs/quickstart.yaml).
#include <iostream>
#include <memory>

#include "core/error.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/pipeline/local_runner.h"
#include "orchestrator/pipeline/pipeline.h"
#include "orchestrator/pipeline/shell_quote.h"
#include "orchestrator/run/launch.h"

namespace spct::cli {
namespace {

struct PipelineArgs {
  std::string file;
  std::vector<std::string> overrides;

  void add_to(CLI::App& command) {
    command.add_option("file", file,
                       "The pipeline file (configs/pipelines/); default: the embedded quickstart story "
                       "(configs/quickstart.yaml)");
    command.add_option("overrides", overrides, "section.key=value overrides applied to every stage");
  }

  // CLI11 fills positionals in order, so `spct pipeline run run.seed=2` puts the override in `file`.
  void split_file_from_overrides() {
    if (file.find('=') == std::string::npos || file.find('/') != std::string::npos) return;
    overrides.insert(overrides.begin(), file);
    file.clear();
  }
};

void show(const pipeline::Pipeline& p, const std::string& spct) {
  std::cout << "pipeline " << p.name << " (" << p.file << "): " << p.stages.size() << " stage(s), run directories in "
            << p.dir << "\n";
  for (const pipeline::Stage& stage : p.stages) {
    std::string after;
    for (const std::string& name : stage.after) after += (after.empty() ? "" : ", ") + name;
    if (stage.is_report()) {
      std::cout << "\nstage " << stage.name << " (report of: " << after << ")\n  writes " << p.dir
                << "/summary.md and summary.json\n";
      continue;
    }
    std::cout << "\nstage " << stage.name << " (" << stage.command << ", "
              << pipeline::run_ranks(stage.config, stage.command)
              << " rank(s), after: " << (after.empty() ? "nothing" : after) << ")"
              << (pipeline::stage_finished(stage) ? " [finished]" : "") << "\n  run directory " << stage.run_dir
              << "\n  " << spct << " " << pipeline::shell_join(stage.arguments()) << "\n";
    if (!stage.inline_config.empty()) {
      std::cout << "  inline config, written to " << stage.config_path << " when the stage runs:\n";
      std::size_t start = 0;
      while (start < stage.inline_config.size()) {
        const std::size_t end = stage.inline_config.find('\n', start);
        std::cout << "    " << stage.inline_config.substr(start, end - start) << "\n";
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
}

}  // namespace

void register_pipeline(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "pipeline", "Check, show or run a pipeline: stages of `spct train` / `spct eval` in dependency order");
  command->require_subcommand(1);

  auto show_args = std::make_shared<PipelineArgs>();
  CLI::App* show_command = command->add_subcommand(
      "show", "Check the pipeline file and every stage's config, then print the stages and their commands");
  show_args->add_to(*show_command);
  show_command->callback([show_args] {
    show_args->split_file_from_overrides();
    show(pipeline::load_pipeline(show_args->file, show_args->overrides), run::current_executable());
  });

  auto run_args = std::make_shared<PipelineArgs>();
  CLI::App* run_command = command->add_subcommand(
      "run",
      "Run the stages on this machine, in order, each as its own spct process; finished stages are skipped, "
      "and the first failing stage stops the pipeline with its exit code");
  run_args->add_to(*run_command);
  run_command->callback([run_args] {
    run_args->split_file_from_overrides();
    const pipeline::Pipeline p = pipeline::load_pipeline(run_args->file, run_args->overrides);
    const pipeline::PipelineOutcome outcome = pipeline::run_pipeline(p, run::current_executable(), std::cerr);
    if (outcome.exit_code != 0) {
      throw Error(static_cast<ExitCode>(outcome.exit_code),
                  "pipeline " + p.name + ": stage " + outcome.failed_stage + " failed with exit code " +
                      std::to_string(outcome.exit_code) +
                      " (its run directory: " + p.find(outcome.failed_stage)->run_dir + ")");
    }
    std::cout << "pipeline " << p.name << ": " << outcome.stages_run << " stage(s) run, " << outcome.stages_skipped
              << " already finished\n";
  });
}

}  // namespace spct::cli
