// `spct config show|validate|docs`.
#include <iostream>
#include <memory>

#include "core/config/render.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/config_args.h"

namespace spct::cli {

void register_config(CLI::App& app) {
  CLI::App* config = app.add_subcommand("config", "Inspect and check experiment configs");
  config->require_subcommand(1);

  auto show_args = std::make_shared<ConfigArgs>();
  CLI::App* show = config->add_subcommand(
      "show", "Print the resolved config with where each value came from (default, file:line, override) and its hash");
  show_args->add_to(*show);
  show->callback([show_args] { std::cout << config::render_annotated(show_args->load()); });

  auto validate_args = std::make_shared<ConfigArgs>();
  CLI::App* validate = config->add_subcommand("validate", "Check a config (types, ranges, cross-field rules) and exit");
  validate_args->add_to(*validate);
  validate->callback([validate_args] {
    const config::ResolvedConfig resolved = validate_args->load();
    std::cout << (validate_args->path().empty() ? config::kEmbeddedConfigName : validate_args->path()) << ": ok (hash "
              << config::short_config_hash(resolved.config) << ")\n";
  });

  CLI::App* docs = config->add_subcommand("docs", "Print the configuration reference (docs/configuration.md)");
  docs->callback([] { std::cout << config::render_reference_markdown(); });
}

}  // namespace spct::cli
