// `spct version`.
#include <iostream>

#include "orchestrator/cli/commands.h"
#include "orchestrator/version.h"

namespace spct::cli {

void register_version(CLI::App& app) {
  CLI::App* version = app.add_subcommand("version", "Print the spct version and how it was built");
  version->callback([] {
    std::cout << "spct " << kVersion << " (" << kGitCommit << ")\n"
              << "build: " << kBuildType << ", NCCL communicator " << (kWithNccl ? "on" : "off") << "\n";
  });
}

}  // namespace spct::cli
