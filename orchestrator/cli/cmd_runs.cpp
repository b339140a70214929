// `spct runs [DIR] [--json]`: the runs under a directory with their state, last step and key metrics.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "orchestrator/cli/commands.h"
#include "orchestrator/observe/run_listing.h"
#include "orchestrator/observe/runs_table.h"

namespace spct::cli {
namespace {

struct RunsArgs {
  std::string dir = "runs";
  bool json = false;
};

}  // namespace

void register_runs(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "runs",
      "List the runs under a directory (and pipelines' stages one level deeper): state (running, finished, "
      "failed, checkpointed, stale, unknown), last step and key metrics");
  auto args = std::make_shared<RunsArgs>();
  cmd->add_option("dir", args->dir, "Directory holding run directories (run.dir)")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print a JSON array instead of a table");
  cmd->callback([args] {
    const std::vector<observe::RunSummary> runs = observe::list_runs(args->dir);
    if (args->json) {
      std::cout << observe::runs_json(runs);
      return;
    }
    if (runs.empty()) {
      std::cout << "no runs under " << args->dir << "\n";
      return;
    }
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << observe::format_runs_table(runs, now);
  });
}

}  // namespace spct::cli
