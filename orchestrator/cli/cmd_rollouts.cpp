// `spct rollouts RUN [--step N] [--worst K | --best K] [--width W] [--critiques] [--json]`: the completions a run
// logged (observe.rollout_log_every; orchestrator/observe/rollout_log_files.h) as a table or JSON, with the
// rewards' info and the GRM's critiques as excerpts under each row, or in full with --critiques.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/observe/rollout_log_reader.h"
#include "orchestrator/observe/rollout_views.h"

namespace spct::cli {
namespace {

struct RolloutsArgs {
  std::string run;
  std::optional<int64_t> step;
  int64_t worst = 0;
  int64_t best = 0;
  int64_t width = 40;
  bool critiques = false;
  bool json = false;
};

// The logged steps, for an error message: all of them when few, else the first and last few.
std::string step_list(const std::vector<observe::RolloutFile>& files) {
  constexpr std::size_t kShown = 5;
  std::string out;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files.size() > 2 * kShown && i == kShown) {
      out += " ...";
      i = files.size() - kShown;
    }
    out += (out.empty() ? "" : " ") + std::to_string(files[i].step);
  }
  return out;
}

void run_rollouts(const RolloutsArgs& args) {
  if (!std::filesystem::is_directory(args.run)) throw UsageError("spct rollouts: no run directory " + args.run);
  const std::filesystem::path dir = std::filesystem::path(args.run) / "rollouts";
  const std::vector<observe::RolloutFile> files = observe::list_rollout_files(dir);
  if (files.empty()) {
    throw UsageError(
        fmt::format("spct rollouts: {} holds no rollout log ({} is missing or empty: the run has "
                    "observe.rollout_log_every 0 or has not finished a logged step yet)",
                    args.run, dir.string()));
  }
  const observe::RolloutFile* file = &files.back();
  if (args.step) {
    file = nullptr;
    for (const observe::RolloutFile& candidate : files) {
      if (candidate.step == *args.step) file = &candidate;
    }
    if (file == nullptr) {
      throw UsageError(fmt::format("spct rollouts: step {} is not logged in {} (logged steps: {})", *args.step,
                                   dir.string(), step_list(files)));
    }
  }
  const observe::RolloutOrder order = args.worst > 0  ? observe::RolloutOrder::kWorst
                                      : args.best > 0 ? observe::RolloutOrder::kBest
                                                      : observe::RolloutOrder::kFile;
  const std::vector<observe::RolloutRecord> records =
      observe::select_rollouts(observe::read_rollout_file(*file), order, args.worst > 0 ? args.worst : args.best);
  if (args.json) {
    std::cout << observe::rollouts_json(records);
    return;
  }
  std::cout << fmt::format("{} ({} completions shown)\n", file->path.string(), records.size());
  std::cout << observe::format_rollouts_table(records, args.width, args.critiques);
}

}  // namespace

void register_rollouts(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "rollouts",
      "Show the completions a run logged (observe.rollout_log_every): prompt and completion excerpts, reward, "
      "advantage, length and truncation of each, with the GRM's critiques and external rewards' info, from one "
      "step's rollouts/step-*.jsonl[.zst]");
  auto args = std::make_shared<RolloutsArgs>();
  cmd->add_option("run", args->run, "The run's directory (<run.dir>/<run.name>)")->required();
  cmd->add_option("--step", args->step, "The step (0-based, as in metrics.jsonl); default: the last logged step");
  CLI::Option* worst = cmd->add_option("--worst", args->worst, "Only the K lowest-reward completions, lowest first")
                           ->check(CLI::PositiveNumber);
  CLI::Option* best = cmd->add_option("--best", args->best, "Only the K highest-reward completions, highest first")
                          ->check(CLI::PositiveNumber);
  worst->excludes(best);
  cmd->add_option("--width", args->width, "Characters of each excerpt column")
      ->check(CLI::Range(int64_t{8}, int64_t{100000}))
      ->capture_default_str();
  cmd->add_flag("--critiques", args->critiques,
                "Print the GRM critiques and reward info of each completion in full (the table shows excerpts)");
  cmd->add_flag("--json", args->json, "Print the selected records as a JSON array (full texts) instead of a table");
  cmd->callback([args] { run_rollouts(*args); });
}

}  // namespace spct::cli
