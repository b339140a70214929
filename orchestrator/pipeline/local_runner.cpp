#include "orchestrator/pipeline/local_runner.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "orchestrator/pipeline/child_process.h"
#include "orchestrator/pipeline/summary.h"

namespace spct::pipeline {

namespace {

// A report stage: the table of its eval stages, to `log` and into the pipeline directory.
void run_report(const Pipeline& pipeline, const Stage& stage, std::ostream& log) {
  std::vector<EvalStageDir> evals;
  for (const std::string& name : stage.after) evals.push_back({name, pipeline.find(name)->run_dir});
  const Summary summary = build_summary(pipeline.name, evals);
  write_summary(summary, pipeline.dir);
  log << "pipeline " << pipeline.name << ": " << stage.name << " (also in " << pipeline.dir
      << "/summary.md and summary.json)\n\n"
      << summary.markdown() << std::endl;
}

}  // namespace

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
    if (stage.is_report()) {  // cheap, and always from the eval results on disk now
      run_report(pipeline, stage, log);
      ++outcome.stages_run;
      continue;
    }
    if (stage_finished(stage)) {
      log << "pipeline " << pipeline.name << ": stage " << stage.name << " already finished (" << stage.run_dir
          << "); skipping it" << std::endl;
      ++outcome.stages_skipped;
      continue;
    }
    write_inline_config(stage);
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
