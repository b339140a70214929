#include "orchestrator/pipeline/local_runner.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "orchestrator/pipeline/child_process.h"

namespace spct::pipeline {

bool stage_finished(const Stage& stage) {
  std::ifstream in(stage.run_dir + "/status.json");
  if (!in) return false;
  // A status file being rewritten is replaced atomically (run_directory.h), so a parse error means a foreign
  // or damaged file: treat the stage as unfinished and let the stage itself report on its run directory.
  const nlohmann::json status = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return status.is_object() && status.value("state", "") == "finished";
}

PipelineOutcome run_pipeline(const Pipeline& pipeline, const std::string& spct_executable, std::ostream& log) {
  PipelineOutcome outcome;
  for (const Stage& stage : pipeline.stages) {
    if (stage_finished(stage)) {
      log << "pipeline " << pipeline.name << ": stage " << stage.name << " already finished (" << stage.run_dir
          << "); skipping it" << std::endl;
      ++outcome.stages_skipped;
      continue;
    }
    std::vector<std::string> argv = {spct_executable};
    for (const std::string& arg : stage.arguments()) argv.push_back(arg);
    log << "pipeline " << pipeline.name << ": stage " << stage.name << ": spct";
    for (const std::string& arg : stage.arguments()) log << " " << arg;
    log << std::endl;
    const auto start = std::chrono::steady_clock::now();
    const int code = run_stage_process(argv);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++outcome.stages_run;
    if (code != 0) {
      log << "pipeline " << pipeline.name << ": stage " << stage.name << " failed with exit code " << code << " after "
          << static_cast<int>(seconds) << " s; the stages after it did not run" << std::endl;
      outcome.exit_code = code;
      outcome.failed_stage = stage.name;
      return outcome;
    }
    log << "pipeline " << pipeline.name << ": stage " << stage.name << " finished in " << static_cast<int>(seconds)
        << " s" << std::endl;
  }
  return outcome;
}

}  // namespace spct::pipeline
