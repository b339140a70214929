#include "orchestrator/jobs/grm_job_common.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "models/io/hf_model_dir.h"
#include "orchestrator/run/thread_count.h"
#include "orchestrator/train/resume.h"
#include "workers/reward/grm/critique_judge.h"

namespace spct::jobs {

void set_job_threads(const config::Config& config) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(run::intra_op_threads(config, cores));
}

data::PreferenceSources load_preference_data(const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  const config::DataSection& data = config.data;
  if (data.task != config::DataTask::kPreference &&
      (data.path.empty() || data.format != config::DataFormat::kPreference)) {
    throw UsageError("run.job " + config::to_string(config.run.job) +
                     " trains a GRM on preference data: set data.task preference, or data.path with "
                     "data.format preference");
  }
  const auto count = [&tokenizer](const data::PromptItem& item) {
    return static_cast<int64_t>(tokenizer.encode(item.prompt).size());
  };
  return data::make_preference_sources(config, count);
}

std::vector<grm::PreferenceItem> take_items(const data::PreferencePrompts& source, uint64_t first, uint64_t count) {
  std::vector<grm::PreferenceItem> items;
  items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) items.push_back(source.item((first + i) % source.size()));
  return items;
}

std::unique_ptr<models::ScalarHeadModel> scalar_model_from(const models::Transformer& backbone, uint64_t seed) {
  auto model = std::make_unique<models::ScalarHeadModel>(backbone.config(), seed);
  at::NoGradGuard no_grad;
  const std::vector<models::NamedTensor> source = backbone.named_parameters();
  for (const models::NamedTensor& target : model->backbone().named_parameters()) {
    for (const models::NamedTensor& from : source) {
      if (from.name == target.name) target.tensor.copy_(from.tensor);
    }
  }
  return model;
}

GrmAccuracy evaluate_grm(const grm::PromptTemplate& prompt, grm::CritiqueSampler& sampler,
                         const data::PreferencePrompts& source, uint64_t count) {
  count = std::min(count, source.size());
  std::vector<std::string> prompts;
  prompts.reserve(count);
  for (uint64_t i = 0; i < count; ++i) prompts.push_back(source.at(i).prompt);
  const std::vector<std::string> critiques = sampler.generate(prompts, 0.0);
  GrmAccuracy result;
  result.items = static_cast<int64_t>(count);
  if (count == 0) return result;
  int64_t correct = 0, failures = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const grm::Judgement judgement = grm::judge_critique(prompt, source.item(i), source.shown_order(i), critiques[i]);
    correct += judgement.correct;
    failures += !judgement.parsed.ok();
  }
  result.accuracy = static_cast<double>(correct) / static_cast<double>(count);
  result.parse_failure_rate = static_cast<double>(failures) / static_cast<double>(count);
  return result;
}

void export_model(const models::Transformer& model, const run::RunDirectory& dir, const config::Config& config) {
  model_io::SaveOptions options;
  if (!config.model.path.empty()) options.tokenizer_source = config.model.path;
  model_io::save_hf_model(model, dir.file("model"), options);
  spdlog::info("exported the model to {}", dir.file("model"));
}

void run_in_directory(const config::ResolvedConfig& resolved,
                      const std::function<int64_t(const run::RunDirectory&, run::MetricsLog&)>& body) {
  const config::Config& config = resolved.config;
  const train::ResumePlan plan = train::plan_resume(config, {});
  const std::filesystem::path status = std::filesystem::path(config.run.dir) / config.run.name / "status.json";
  std::ifstream status_file(status);
  const std::string status_text((std::istreambuf_iterator<char>(status_file)), std::istreambuf_iterator<char>());
  if (plan.existing_run && status_text.find("\"state\":\"finished\"") != std::string::npos) {
    spdlog::info("run {}/{} already finished; nothing to do", config.run.dir, config.run.name);
    return;
  }
  const run::RunDirectory dir = train::open_run(resolved, plan).dir;
  spdlog::info("run directory {} (run.job {}, one process, {} threads)", dir.path(),
               config::to_string(resolved.config.run.job), at::get_num_threads());
  dir.write_status("running", 0);
  try {
    run::MetricsLog log(dir.file("metrics.jsonl"));
    dir.write_status("finished", body(dir, log));
  } catch (const std::exception& e) {
    dir.write_failed(e.what());
    throw;
  }
}

}  // namespace spct::jobs
