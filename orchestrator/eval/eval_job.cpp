#include "orchestrator/eval/eval_job.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "orchestrator/data/preference_task.h"
#include "orchestrator/eval/eval_report.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/run/thread_count.h"
#include "orchestrator/train/policy_setup.h"
#include "workers/reward/grm_reward/grm_backends.h"
#include "workers/reward/reward_worker_options.h"

namespace spct::eval {
namespace {

bool preference_data(const config::DataSection& data) {
  return data.task == config::DataTask::kPreference || data.format == config::DataFormat::kPreference;
}

bool evaluates_grm(const config::Config& config) {
  if (config.eval.target == config::EvalTarget::kAuto) return preference_data(config.data);
  return config.eval.target == config::EvalTarget::kGrm;
}

std::vector<grm::PreferenceItem> preference_items(const config::Config& config) {
  const config::DataSection& data = config.data;
  if (data.task == config::DataTask::kPreference) {
    return data::make_synthetic_preferences(data::preference_task_options(data), data::Split::kEval,
                                            static_cast<uint64_t>(config.run.seed),
                                            static_cast<uint64_t>(data.eval_size));
  }
  if (data.format != config::DataFormat::kPreference) {
    throw UsageError(
        "eval.target grm needs preference data: data.task: preference, or data.format: preference "
        "with data.path / data.eval_path");
  }
  const std::string& path = data.eval_path.empty() ? data.path : data.eval_path;
  if (path.empty()) throw UsageError("data.format is preference but neither data.eval_path nor data.path is set");
  std::vector<grm::PreferenceItem> items = grm::load_preference_jsonl(path);
  if (config.eval.max_items > 0 && items.size() > static_cast<size_t>(config.eval.max_items)) {
    items.resize(static_cast<size_t>(config.eval.max_items));
  }
  return items;
}

std::vector<int> k_list(const config::EvalSection& eval) {
  std::vector<int> ks;
  for (const double k : eval.k) ks.push_back(static_cast<int>(k));
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

// Returns eval.json's document; prints the table.
nlohmann::json evaluate(const config::Config& config) {
  if (evaluates_grm(config)) {
    const std::vector<grm::PreferenceItem> items = preference_items(config);
    reward::GrmBackends backends = reward::make_grm_backends(reward::grm_backend_options(config));
    spdlog::info("evaluating the GRM {} on {} preference items{}",
                 config.grm.backend == config::GrmBackend::kLocal ? config.grm.model_path : "(remote)", items.size(),
                 backends.rater ? " with the meta RM " + config.grm.meta_model_path : "");
    const GrmEvalResult result =
        evaluate_grm(items, config.grm, {k_list(config.eval), static_cast<uint64_t>(config.run.seed)},
                     *backends.sampler, backends.rater.get());
    std::cout << grm_table(result) << std::flush;
    return grm_report_json(result, config);
  }
  const auto tokenizer = train::make_run_tokenizer(config);
  const auto policy = train::make_policy(config, *tokenizer);
  spdlog::info(
      "evaluating the policy {} on the eval split of {}",
      config.model.path.empty() ? "(new model from run.seed)" : config.model.path,
      config.data.task == config::DataTask::kNone ? config.data.eval_path : config::to_string(config.data.task));
  const PolicyEvalResult result = evaluate_policy(config, *tokenizer, *policy);
  std::cout << policy_table(result) << std::flush;
  return policy_report_json(result, config);
}

}  // namespace

void run_eval_job(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(run::intra_op_threads(config, cores));
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  run_dir.write_status("running", 0);
  try {
    const nlohmann::json report = evaluate(config);
    AtomicFileWriter writer(run_dir.file("eval.json"));
    writer.append(report.dump(2) + "\n");
    writer.commit();
    run_dir.write_status("finished", 0);
    spdlog::info("wrote {}", run_dir.file("eval.json"));
  } catch (const std::exception& e) {
    run_dir.write_status("failed", 0, e.what());
    throw;
  }
}

}  // namespace spct::eval
