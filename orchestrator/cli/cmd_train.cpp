// `spct train`.
#include <iostream>
#include <memory>

#include "core/config/checks.h"
#include "core/config/render.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/config_args.h"

namespace spct::cli {

void register_train(CLI::App& app) {
  struct Options {
    ConfigArgs config;
    bool dry_run = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* train = app.add_subcommand("train", "Train a policy with GRPO (or a GRM with SPCT) as described by CONFIG");
  options->config.add_to(*train);
  train->add_flag("--dry-run", options->dry_run, "Check the config and print the rank layout, then exit");
  train->callback([options] {
    const config::ResolvedConfig resolved = options->config.load();
    std::cout << "config hash " << config::short_config_hash(resolved.config) << "; the job needs "
              << config::required_world_size(resolved.config) << " MPI rank(s)\n";
  });
}

}  // namespace spct::cli
