#include "orchestrator/serve/completion_engine.h"

#include <chrono>
#include <exception>

#include "core/error.h"
#include "workers/reward/grm/voting.h"

namespace spct::serve {

struct CompletionEngine::Work {
  std::vector<models::GenerationRequest> sequences;
  models::SamplingParams params;  // batched with requests whose params are the same_sampling()
  std::promise<std::vector<models::Completion>> done;
};

namespace {

bool same_sampling(const models::SamplingParams& a, const models::SamplingParams& b) {
  return a.temperature == b.temperature && a.top_p == b.top_p && a.max_new_tokens == b.max_new_tokens &&
         a.stop_strings == b.stop_strings;
}

}  // namespace

CompletionEngine::CompletionEngine(std::shared_ptr<const models::Transformer> model,
                                   std::shared_ptr<const tokenizer::Tokenizer> tokenizer, EngineOptions options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {
  if (!model_ || !tokenizer_) throw UsageError("spct serve: a model and a tokenizer are required");
  if (model_->head() != models::Head::kLanguageModel) {
    throw UsageError("spct serve: the model has no language-model head (a scalar-head model cannot complete text)");
  }
  if (options_.max_batch < 1) throw UsageError("spct serve: --max-batch must be at least 1");
  stop_token_ids_ = {tokenizer_->eos_id()};
  const int64_t model_eos = model_->config().eos_token_id;
  if (model_eos >= 0 && model_eos != tokenizer_->eos_id()) stop_token_ids_.push_back(model_eos);
  thread_ = std::thread([this] { run_batches(); });
}

CompletionEngine::~CompletionEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

int64_t CompletionEngine::max_position() const {
  return model_->config().max_position;
}

EngineStats CompletionEngine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

CompletionResult CompletionEngine::complete(const CompletionRequest& request) {
  auto work = std::make_shared<Work>();
  CompletionResult result;
  uint64_t seed = 0;
  {
    std::lock_guard lock(mutex_);
    seed = request.seed
               ? *request.seed
               : grm::derive_seed(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()),
                                  unseeded_++);
  }
  for (std::size_t p = 0; p < request.prompts.size(); ++p) {
    std::vector<int32_t> ids;
    try {
      ids = tokenizer_->encode(request.prompts[p]);
    } catch (const InputError& e) {
      // Text the tokenizer has no tokens for (a character tokenizer and non-ASCII text): the client's to fix.
      throw ApiError(400, "prompt " + std::to_string(p) + " cannot be encoded: " + e.what());
    }
    if (ids.empty()) throw ApiError(400, "prompt " + std::to_string(p) + " encodes to no token");
    if (static_cast<int64_t>(ids.size()) + request.max_tokens > max_position()) {
      throw ApiError(400, "prompt " + std::to_string(p) + " has " + std::to_string(ids.size()) +
                              " tokens; with max_tokens " + std::to_string(request.max_tokens) +
                              " it exceeds the model's context of " + std::to_string(max_position()) + " tokens");
    }
    for (const int32_t id : ids) {
      if (id < 0 || id >= model_->config().vocab_size) {
        throw ApiError(400, "prompt " + std::to_string(p) + " has token id " + std::to_string(id) +
                                " outside the model's vocabulary (the tokenizer does not match the model)");
      }
    }
    result.prompt_tokens += static_cast<int64_t>(ids.size());
    const uint64_t prompt_seed = grm::derive_seed(seed, p);
    for (int64_t s = 0; s < request.n; ++s) {
      work->sequences.push_back(
          {std::vector<int64_t>(ids.begin(), ids.end()), grm::derive_seed(prompt_seed, static_cast<uint64_t>(s))});
    }
  }
  work->params.temperature = request.temperature;
  work->params.top_p = request.top_p;
  work->params.max_new_tokens = request.max_tokens;
  work->params.stop_token_ids = stop_token_ids_;
  work->params.stop_strings = request.stop;
  if (!request.stop.empty()) {
    work->params.decode = [this](const std::vector<int64_t>& tokens) {
      const std::vector<int32_t> ids(tokens.begin(), tokens.end());
      return tokenizer_->decode(ids, /*skip_special=*/true);
    };
  }
  try {
    models::validate(work->params);
  } catch (const InputError& e) {
    throw ApiError(400, e.what());
  }

  std::future<std::vector<models::Completion>> done = work->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error(ExitCode::kFailure, "spct serve is shutting down");
    queue_.push_back(work);
  }
  queued_.notify_one();
  const std::vector<models::Completion> completions = done.get();

  for (const models::Completion& completion : completions) {
    const std::vector<int32_t> ids(completion.tokens.begin(), completion.tokens.end());
    CompletionChoice choice{tokenizer_->decode(ids, /*skip_special=*/true),
                            completion.finish_reason != models::FinishReason::kLength};
    // The token that completed a stop string may carry text past it.
    cut_at_stop(choice.text, request.stop, request.include_stop_str_in_output);
    result.completion_tokens += static_cast<int64_t>(completion.tokens.size());
    result.choices.push_back(std::move(choice));
  }
  return result;
}

void CompletionEngine::run_batches() {
  for (;;) {
    std::vector<std::shared_ptr<Work>> batch;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        for (const auto& work : queue_) {
          work->done.set_exception(std::make_exception_ptr(Error(ExitCode::kFailure, "spct serve is shutting down")));
        }
        queue_.clear();
        return;
      }
      // The oldest request, and every queued request that samples the same way while the batch has room.
      batch.push_back(queue_.front());
      queue_.pop_front();
      auto size = static_cast<int64_t>(batch.front()->sequences.size());
      for (auto it = queue_.begin(); it != queue_.end();) {
        const auto more = static_cast<int64_t>((*it)->sequences.size());
        if (size + more <= options_.max_batch && same_sampling((*it)->params, batch.front()->params)) {
          size += more;
          batch.push_back(*it);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    generate_batch(batch);
  }
}

void CompletionEngine::generate_batch(std::vector<std::shared_ptr<Work>>& batch) {
  std::vector<models::GenerationRequest> sequences;
  for (const auto& work : batch) sequences.insert(sequences.end(), work->sequences.begin(), work->sequences.end());
  const models::SamplingParams& params = batch.front()->params;
  std::vector<models::Completion> completions;
  int64_t calls = 0;
  try {
    const auto slice = static_cast<std::size_t>(options_.max_batch);
    for (std::size_t begin = 0; begin < sequences.size(); begin += slice, ++calls) {
      const std::size_t end = std::min(sequences.size(), begin + slice);
      const std::vector<models::GenerationRequest> part(sequences.begin() + static_cast<std::ptrdiff_t>(begin),
                                                        sequences.begin() + static_cast<std::ptrdiff_t>(end));
      for (models::Completion& completion : models::generate(*model_, part, params)) {
        completions.push_back(std::move(completion));
      }
    }
  } catch (...) {
    for (const auto& work : batch) work->done.set_exception(std::current_exception());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    stats_.batches += calls;
    stats_.requests += static_cast<int64_t>(batch.size());
    stats_.sequences += static_cast<int64_t>(sequences.size());
  }
  auto next = completions.begin();
  for (const auto& work : batch) {
    const auto count = static_cast<std::ptrdiff_t>(work->sequences.size());
    work->done.set_value(std::vector<models::Completion>(next, next + count));
    next += count;
  }
}

}  // namespace spct::serve
