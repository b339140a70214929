// `spct eval CONFIG [section.key=value ...]`: evaluates a GRM on preference data or a policy on its task's eval
// split (orchestrator/eval/eval_job.h), prints a table and writes eval.json into a new run directory.
#include <memory>

#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/config_args.h"
#include "orchestrator/eval/eval_job.h"

namespace spct::cli {

void register_eval(CLI::App& app) {
  auto args = std::make_shared<ConfigArgs>();
  CLI::App* eval = app.add_subcommand(
      "eval",
      "Evaluate a GRM (greedy, voting@k, MetaRM@k accuracy on preference data) or a policy (greedy verifier "
      "accuracy on the eval split), as CONFIG's eval section says; writes <run.dir>/<run.name>/eval.json");
  args->add_to(*eval);
  eval->callback([args] { eval::run_eval_job(args->load()); });
}

}  // namespace spct::cli
