// The spct binary: parses the command line, runs one subcommand, and turns failures into documented exit codes
// (core/exit_codes.h). Nothing here knows about training; see orchestrator/cli/ for the subcommands.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/run/keep_freed_memory.h"
#include "orchestrator/run/openmp_wait_policy.h"

int main(int argc, char** argv) {
  // OpenMP's wait policy (orchestrator/run/openmp_wait_policy.h): a short spin where the node has room, passive
  // waiting where it is shared, unless the user chose; libgomp has read its variables already, so this restarts
  // the binary once with them set, and mpirun ranks and pipeline stages inherit them. Only for the commands that
  // run models: a restart loads LibTorch again (0.3-1.5 s), which `spct version`, `config`, `tokenize`, `runs`
  // and `submit` need not pay.
  const std::string_view command = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  for (const std::string_view runs_models : {"train", "generate", "serve", "eval", "pipeline"}) {
    if (command != runs_models) continue;
    try {
      spct::run::configure_openmp_wait(argv);
    } catch (const spct::Error& e) {
      std::cerr << "spct: error: " << e.what() << "\n";
      return spct::to_int(e.code());
    }
  }
  // Decoding frees and re-allocates logit-sized tensors every token: keep that memory instead of faulting it in.
  spct::run::keep_freed_memory();
  // A training job may be told to stop (SLURM's --signal, preemption) while it is still starting: catch the stop
  // signals from the first moment, before the config is even read (core/stop_signal.h).
  if (argc > 1 && std::string_view(argv[1]) == "train") spct::install_stop_signal_handlers();
  CLI::App app{"spct: GRPO and Self-Principled Critique Tuning for language models, over MPI"};
  app.name("spct");
  app.require_subcommand(1);
  app.fallthrough(false);
  app.footer(
      "Exit codes: 0 ok, 1 failure, 2 usage or config error, 3 malformed input file, 4 a rank failed or "
      "stalled, 75 checkpointed on a signal (requeue), 130 interrupted.");
  spct::cli::register_train(app);
  spct::cli::register_config(app);
  spct::cli::register_version(app);
  spct::cli::register_tokenize(app);
  spct::cli::register_generate(app);
  spct::cli::register_runs(app);
  spct::cli::register_rollouts(app);
  spct::cli::register_serve(app);
  spct::cli::register_eval(app);
  spct::cli::register_pipeline(app);
  spct::cli::register_submit(app);
  spct::cli::register_export(app);

  try {
    spct::init_logging(spct::config::LogLevel::kInfo);
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return spct::to_int(spct::ExitCode::kUsage);
  } catch (const spct::Checkpointed& e) {
    if (*e.what() != '\0') std::cerr << "spct: " << e.what() << "\n";
    return spct::to_int(e.code());
  } catch (const spct::Error& e) {
    std::cerr << "spct: error: " << e.what() << "\n";
    return spct::to_int(e.code());
  } catch (const std::exception& e) {
    // LibTorch's errors append a C++ backtrace after this marker: users get the message, not the frames.
    const std::string what = e.what();
    std::cerr << "spct: internal error: " << what.substr(0, what.find("\nException raised from")) << "\n";
    return spct::to_int(spct::ExitCode::kFailure);
  }
}
