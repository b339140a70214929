#include "workers/reward/grm_model/model_critique_sampler.h"

#include "core/error.h"
#include "models/device.h"
#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "models/tokenizer/factory.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {

ModelSamplerOptions ModelSamplerOptions::from_config(const config::GrmSection& grm, uint64_t seed) {
  ModelSamplerOptions options;
  options.max_new_tokens = grm.max_new_tokens;
  options.stop = grm.stop;
  options.seed = seed;
  return options;
}

ModelCritiqueSampler::ModelCritiqueSampler(std::shared_ptr<const models::Transformer> model,
                                           std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                                           ModelSamplerOptions options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(std::move(options)) {
  if (!model_ || !tokenizer_) throw UsageError("GRM sampler: a model and a tokenizer are required");
  if (model_->head() != models::Head::kLanguageModel) {
    throw UsageError("GRM sampler: the GRM must have a language-model head");
  }
  if (options_.max_new_tokens < 1) throw UsageError("grm.max_new_tokens must be at least 1");
  if (options_.max_batch < 1) throw UsageError("GRM sampler: max_batch must be at least 1");
}

std::vector<std::string> ModelCritiqueSampler::generate(const std::vector<std::string>& prompts, double temperature) {
  const uint64_t call_seed = derive_seed(options_.seed, calls_++);
  std::vector<uint64_t> seeds;
  seeds.reserve(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) seeds.push_back(derive_seed(call_seed, i));
  return generate_seeded(prompts, seeds, temperature);
}

std::vector<std::string> ModelCritiqueSampler::generate_seeded(const std::vector<std::string>& prompts,
                                                               const std::vector<uint64_t>& seeds, double temperature) {
  if (seeds.size() != prompts.size()) {
    throw UsageError("GRM sampler: " + std::to_string(seeds.size()) + " seeds for " + std::to_string(prompts.size()) +
                     " prompts");
  }
  const int64_t max_position = model_->config().max_position;
  std::vector<models::GenerationRequest> requests;
  requests.reserve(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int32_t> ids = tokenizer_->encode(prompts[i]);
    if (ids.empty()) throw InputError("GRM prompt " + std::to_string(i) + " encodes to no token");
    if (static_cast<int64_t>(ids.size()) + options_.max_new_tokens > max_position) {
      throw InputError("GRM prompt " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                       " tokens; with grm.max_new_tokens = " + std::to_string(options_.max_new_tokens) +
                       " it exceeds the GRM's max_position " + std::to_string(max_position) +
                       " (a shorter prompt: grm.template compact)");
    }
    requests.push_back({std::vector<int64_t>(ids.begin(), ids.end()), seeds[i]});
  }

  models::SamplingParams params;
  params.temperature = temperature;
  params.top_k = options_.top_k;
  params.top_p = options_.top_p;
  params.max_new_tokens = options_.max_new_tokens;
  params.stop_token_ids = {tokenizer_->eos_id()};
  params.stop_strings = options_.stop;
  if (!params.stop_strings.empty()) {
    params.decode = [this](const std::vector<int64_t>& tokens) {
      const std::vector<int32_t> ids(tokens.begin(), tokens.end());
      return tokenizer_->decode(ids, /*skip_special=*/true);
    };
  }

  std::vector<std::string> critiques;
  critiques.reserve(prompts.size());
  // One engine call: sequences join as others finish, at most max_batch at a time, and identical prompts share
  // their prefill; the schedule never changes what a request samples.
  models::GenerationOptions engine;
  engine.max_sequences = options_.max_batch;
  for (const models::Completion& completion : models::generate(*model_, requests, params, engine)) {
    generated_tokens_ += static_cast<int64_t>(completion.tokens.size());
    const std::vector<int32_t> ids(completion.tokens.begin(), completion.tokens.end());
    std::string text = tokenizer_->decode(ids, /*skip_special=*/true);
    // The token that completed a stop string may carry text past it; the critique ends with the stop string.
    for (const std::string& stop : options_.stop) {
      const size_t at = text.find(stop);
      if (at != std::string::npos) text.resize(at + stop.size());
    }
    critiques.push_back(std::move(text));
  }
  return critiques;
}

std::unique_ptr<ModelCritiqueSampler> load_model_critique_sampler(const std::string& model_dir,
                                                                  const ModelLoadOptions& load,
                                                                  ModelSamplerOptions options) {
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer = tokenizer::make_tokenizer(load.tokenizer, model_dir);
  model_io::LoadOptions model_options;
  model_options.device = models::device_for(load.device);  // the rank's GPU under MPI (device_setup.h)
  std::shared_ptr<const models::Transformer> model = model_io::load_hf_model(model_dir, model_options);
  return std::make_unique<ModelCritiqueSampler>(std::move(model), std::move(tokenizer), std::move(options));
}

}  // namespace spct::grm
