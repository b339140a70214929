// Completes API requests with an in-process model, batching concurrent requests into shared generate() calls.
//
// Callers (the HTTP handler threads) encode and check their prompts, then queue their sequences (n per
// prompt) and wait. One batching thread takes the oldest queued request together with every other queued
// request that samples with the same parameters (temperature, top_p, max_tokens, stop strings), up to
// max_batch sequences, and runs them as one left-padded batch with a KV cache (models/generation.h); a request
// larger than max_batch runs alone in slices. Each sequence draws from its own generator, so a (prompt, seed,
// n) request gets the same completions whatever it was batched with.
//
// Seeds: sample s of prompt p uses derive_seed(derive_seed(seed, p), s) with the request's seed, or a fresh
// seed per request when it names none.
//
// Ownership: shares the model and tokenizer. Thread safety: complete() may be called from any number of
// threads. The destructor fails the requests still queued and joins the batching thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "models/generation.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"
#include "orchestrator/serve/completion_api.h"

namespace spct::serve {

struct EngineOptions {
  int64_t max_batch = 64;  // sequences per generate() call
};

struct EngineStats {
  int64_t batches = 0;    // generate() calls
  int64_t requests = 0;   // requests completed
  int64_t sequences = 0;  // sequences generated
};

class CompletionEngine {
 public:
  // REQUIRES: model and tokenizer non-null, a language-model head, max_batch >= 1 (spct::UsageError otherwise).
  CompletionEngine(std::shared_ptr<const models::Transformer> model,
                   std::shared_ptr<const tokenizer::Tokenizer> tokenizer, EngineOptions options);
  ~CompletionEngine();
  CompletionEngine(const CompletionEngine&) = delete;
  CompletionEngine& operator=(const CompletionEngine&) = delete;

  // Blocks until the request is completed. Throws ApiError(400) for a prompt the tokenizer cannot encode, that
  // encodes to no token or that does not fit the model's max_position with max_tokens, and spct::Error when
  // generation fails.
  CompletionResult complete(const CompletionRequest& request);

  int64_t max_position() const;
  EngineStats stats() const;

 private:
  struct Work;
  void run_batches();
  void generate_batch(std::vector<std::shared_ptr<Work>>& batch);

  const std::shared_ptr<const models::Transformer> model_;
  const std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  const EngineOptions options_;
  std::vector<int64_t> stop_token_ids_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable queued_;
  std::deque<std::shared_ptr<Work>> queue_;
  bool stopping_ = false;
  EngineStats stats_;
  uint64_t unseeded_ = 0;  // requests without a seed so far
  std::thread thread_;     // started last, joined first
};

}  // namespace spct::serve
