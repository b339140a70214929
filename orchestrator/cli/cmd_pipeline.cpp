// `spct pipeline show|run FILE [overrides]`.
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
    command.add_option("file", file, "The pipeline file (configs/pipelines/)")->required();
    command.add_option("overrides", overrides, "section.key=value overrides applied to every stage");
  }
};

void show(const pipeline::Pipeline& p, const std::string& spct) {
  std::cout << "pipeline " << p.name << " (" << p.file << "): " << p.stages.size() << " stage(s), run directories in "
            << p.dir << "\n";
  for (const pipeline::Stage& stage : p.stages) {
    std::string after;
    for (const std::string& name : stage.after) after += (after.empty() ? "" : ", ") + name;
    std::cout << "\nstage " << stage.name << " (" << stage.command << ", "
              << pipeline::run_ranks(stage.config, stage.command)
              << " rank(s), after: " << (after.empty() ? "nothing" : after) << ")"
              << (pipeline::stage_finished(stage) ? " [finished]" : "") << "\n  run directory " << stage.run_dir
              << "\n  " << spct << " " << pipeline::shell_join(stage.arguments()) << "\n";
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
  show_command->callback(
      [show_args] { show(pipeline::load_pipeline(show_args->file, show_args->overrides), run::current_executable()); });

  auto run_args = std::make_shared<PipelineArgs>();
  CLI::App* run_command = command->add_subcommand(
      "run",
      "Run the stages on this machine, in order, each as its own spct process; finished stages are skipped, "
      "and the first failing stage stops the pipeline with its exit code");
  run_args->add_to(*run_command);
  run_command->callback([run_args] {
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
