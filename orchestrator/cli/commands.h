// The subcommands of the `spct` binary. Each register_* adds one subcommand (with its --help) to the CLI11 app;
// its callback does the work and throws spct::Error on failure, which main() turns into the exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace spct::cli {

void register_version(CLI::App& app);
void register_config(CLI::App& app);
void register_train(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_generate(CLI::App& app);
void register_runs(CLI::App& app);
void register_rollouts(CLI::App& app);
void register_serve(CLI::App& app);
void register_eval(CLI::App& app);
void register_pipeline(CLI::App& app);
void register_submit(CLI::App& app);
void register_export(CLI::App& app);

}  // namespace spct::cli
