#include "models/generation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/ones.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "core/error.h"

namespace spct::models {
namespace {

// Per-request progress while it is still in the batch.
struct Running {
  size_t request;  // index into requests / completions
  at::Generator generator;
  int64_t next_position;  // position id of the token to be fed next
};

int64_t round_up(int64_t n, int64_t block) {
  return (n + block - 1) / block * block;
}

std::vector<int64_t> to_host(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<float> to_host_float(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

at::Tensor long_tensor(std::vector<int64_t> values, at::Device device) {
  const auto n = static_cast<int64_t>(values.size());
  return at::from_blob(values.data(), {n}, at::TensorOptions().dtype(at::kLong)).clone().to(device);
}

// Records this step's token of each running row; returns whether the row is finished.
bool record(Completion& c, int64_t token, float sampling_logprob, float logprob, const SamplingParams& params) {
  c.tokens.push_back(token);
  c.sampling_logprobs.push_back(sampling_logprob);
  c.logprobs.push_back(logprob);
  if (std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), token) != params.stop_token_ids.end()) {
    c.finish_reason = FinishReason::kStopToken;
    return true;
  }
  if (!params.stop_strings.empty()) {
    const std::string text = params.decode(c.tokens);
    for (const std::string& stop : params.stop_strings) {
      if (text.find(stop) != std::string::npos) {
        c.finish_reason = FinishReason::kStopString;
        return true;
      }
    }
  }
  if (static_cast<int64_t>(c.tokens.size()) >= params.max_new_tokens) {
    c.finish_reason = FinishReason::kLength;
    return true;
  }
  return false;
}

}  // namespace

// Samples one token per row of `logits` with each row's own generator and records it in the row's completion;
// returns the indices of the rows that are still running, ascending. Shared by the engine and the reference path.
std::vector<size_t> sample_and_record(const at::Tensor& logits, const SamplingParams& params,
                                      const std::vector<Running>& rows, std::vector<Completion>& completions) {
  std::vector<at::Generator> generators;
  generators.reserve(rows.size());
  for (const Running& r : rows) generators.push_back(r.generator);
  const SampledTokens sampled = sample_next(logits, params, generators);
  const std::vector<int64_t> tokens = to_host(sampled.tokens);
  const std::vector<float> sampling_logprobs = to_host_float(sampled.sampling_logprobs);
  const std::vector<float> logprobs = to_host_float(sampled.logprobs);
  std::vector<size_t> still_running;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (!record(completions[rows[row].request], tokens[row], sampling_logprobs[row], logprobs[row], params)) {
      still_running.push_back(row);
    }
  }
  return still_running;
}

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStopToken: return "stop_token";
    case FinishReason::kStopString: return "stop_string";
    case FinishReason::kLength: return "length";
  }
  return "?";
}

PaddedBatch left_pad(const std::vector<std::vector<int64_t>>& sequences, at::Device device) {
  const auto b = static_cast<int64_t>(sequences.size());
  size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  const auto l = static_cast<int64_t>(longest);
  std::vector<int64_t> ids(static_cast<size_t>(b * l), 0);
  std::vector<int64_t> positions(static_cast<size_t>(b * l), 0);
  std::vector<uint8_t> mask(static_cast<size_t>(b * l), 0);
  for (size_t i = 0; i < sequences.size(); ++i) {
    const size_t pad = longest - sequences[i].size();
    for (size_t j = 0; j < sequences[i].size(); ++j) {
      const size_t at = i * longest + pad + j;
      ids[at] = sequences[i][j];
      positions[at] = static_cast<int64_t>(j);
      mask[at] = 1;
    }
  }
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  PaddedBatch batch;
  batch.input_ids = at::from_blob(ids.data(), {b, l}, long_opts).clone().to(device);
  batch.position_ids = at::from_blob(positions.data(), {b, l}, long_opts).clone().to(device);
  batch.attention_mask =
      at::from_blob(mask.data(), {b, l}, at::TensorOptions().dtype(at::kByte)).to(at::kBool).to(device);
  return batch;
}

namespace {

// The reference path without a cache: every step runs every running row's whole sequence through the model.
std::vector<Completion> generate_recompute(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                           const SamplingParams& params, std::vector<Running> running) {
  std::vector<Completion> completions(requests.size());
  const at::Device device = model.device();
  while (!running.empty()) {
    std::vector<std::vector<int64_t>> full;
    for (const Running& r : running) {
      std::vector<int64_t> seq = requests[r.request].prompt;
      const std::vector<int64_t>& done = completions[r.request].tokens;
      seq.insert(seq.end(), done.begin(), done.end());
      full.push_back(std::move(seq));
    }
    const PaddedBatch batch = left_pad(full, device);
    const at::Tensor hidden = model.hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask);
    const at::Tensor logits = model.logits(hidden.select(1, hidden.size(1) - 1));
    std::vector<Running> next;
    for (size_t row : sample_and_record(logits, params, running, completions)) next.push_back(running[row]);
    running = std::move(next);
  }
  return completions;
}

// The continuous-batching engine of generate() (see generation.h for the policy).
class Engine {
 public:
  Engine(const Transformer& model, const std::vector<GenerationRequest>& requests, const SamplingParams& params,
         const GenerationOptions& options, GenerationStats& stats)
      : model_(model),
        requests_(requests),
        params_(params),
        options_(options),
        stats_(stats),
        device_(model.device()),
        completions_(requests.size()) {}

  std::vector<Completion> run(std::vector<Running> waiting) {
    waiting_.assign(waiting.begin(), waiting.end());
    while (!waiting_.empty() || !running_.empty()) {
      admit();
      sample_and_retire();
      if (running_.empty()) continue;
      preempt_over_budget();
      decode();
    }
    return std::move(completions_);
  }

 private:
  // The request's prompt and the tokens it has generated so far.
  std::vector<int64_t> context(const Running& r) const {
    std::vector<int64_t> seq = requests_[r.request].prompt;
    const std::vector<int64_t>& done = completions_[r.request].tokens;
    seq.insert(seq.end(), done.begin(), done.end());
    return seq;
  }

  // An upper bound on the token slots of a cache of `rows` rows holding `length` slots and room for the next
  // token: its capacity never has more than one block spare (make_cache, reserve and append_rows round up to
  // at most a block beyond what is held).
  int64_t kv_tokens(int64_t rows, int64_t length) const { return rows * (length + options_.kv_block_tokens); }

  bool fits(int64_t rows, int64_t length) const {
    if (options_.max_sequences > 0 && rows > options_.max_sequences) return false;
    return options_.kv_budget_tokens == 0 || kv_tokens(rows, length) <= options_.kv_budget_tokens;
  }

  // Moves waiting requests into the batch while they fit, prefilling each distinct context once.
  void admit() {
    const int64_t rows = static_cast<int64_t>(running_.size());
    const int64_t length = cache_ ? cache_->length() : 0;
    std::vector<Running> admitted;
    std::vector<std::vector<int64_t>> contexts;
    int64_t longest = length;
    while (!waiting_.empty()) {
      std::vector<int64_t> ctx = context(waiting_.front());
      const int64_t span = std::max(longest, static_cast<int64_t>(ctx.size()));
      const int64_t total = rows + static_cast<int64_t>(admitted.size()) + 1;
      // A lone row always runs, whatever the budget, so every request finishes.
      if (total > 1 && !fits(total, span)) break;
      longest = span;
      contexts.push_back(std::move(ctx));
      admitted.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    if (admitted.empty()) return;

    // Distinct contexts, in first-seen order; fork[i] = the distinct context of admitted row i.
    std::vector<std::vector<int64_t>> distinct;
    std::vector<int64_t> fork;
    std::map<std::vector<int64_t>, int64_t> seen;
    for (std::vector<int64_t>& ctx : contexts) {
      if (options_.share_prefixes) {
        const auto [it, inserted] = seen.emplace(ctx, static_cast<int64_t>(distinct.size()));
        fork.push_back(it->second);
        if (inserted) distinct.push_back(std::move(ctx));
      } else {
        fork.push_back(static_cast<int64_t>(distinct.size()));
        distinct.push_back(std::move(ctx));
      }
    }
    const PaddedBatch batch = left_pad(distinct, device_);
    const int64_t width = batch.input_ids.size(1);
    KvCache fresh =
        model_.make_cache(static_cast<int64_t>(distinct.size()), round_up(width + 1, options_.kv_block_tokens));
    // Only the last column's logits are needed (left padding puts every row's last token there).
    const at::Tensor hidden = model_.hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask, &fresh);
    at::Tensor logits = model_.logits(hidden.select(1, width - 1));
    if (distinct.size() < admitted.size()) {
      const at::Tensor rows_of = long_tensor(fork, device_);
      fresh.keep_rows(rows_of);
      logits = logits.index_select(0, rows_of);
    }
    for (const auto& ctx : distinct) stats_.prefill_tokens += static_cast<int64_t>(ctx.size());
    ++stats_.admissions;

    if (cache_) {
      cache_->append_rows(fresh);
      logits_ = at::cat({logits_, logits}, 0);
    } else {
      cache_ = std::make_unique<KvCache>(std::move(fresh));
      logits_ = logits;
    }
    for (Running& r : admitted) {
      r.next_position =
          static_cast<int64_t>(requests_[r.request].prompt.size() + completions_[r.request].tokens.size());
      running_.push_back(std::move(r));
    }
    note_peak();
    if (options_.on_step) options_.on_step(stats_);
  }

  // Samples a token for every row from logits_, records it, and drops the rows that finished.
  void sample_and_retire() {
    std::vector<int64_t> keep;
    for (size_t row : sample_and_record(logits_, params_, running_, completions_)) {
      keep.push_back(static_cast<int64_t>(row));
    }
    keep_rows(keep);
  }

  // Evicts the most recently admitted rows until the next step fits the budget (or one row is left).
  void preempt_over_budget() {
    if (options_.kv_budget_tokens == 0) return;
    size_t rows = running_.size();
    while (rows > 1 && kv_tokens(static_cast<int64_t>(rows), cache_->length()) > options_.kv_budget_tokens) --rows;
    if (rows == running_.size()) return;
    stats_.preemptions += static_cast<int64_t>(running_.size() - rows);
    // Back to the head of the queue, in admission order, keeping their tokens and generators.
    for (size_t row = running_.size(); row-- > rows;) waiting_.push_front(running_[row]);
    std::vector<int64_t> keep(rows);
    for (size_t row = 0; row < rows; ++row) keep[row] = static_cast<int64_t>(row);
    keep_rows(keep);
  }

  // Feeds every running row its last sampled token: one forward step, logits for the next sample.
  void decode() {
    std::vector<int64_t> ids;
    std::vector<int64_t> positions;
    for (Running& r : running_) {
      ids.push_back(completions_[r.request].tokens.back());
      positions.push_back(r.next_position++);
    }
    const auto b = static_cast<int64_t>(running_.size());
    cache_->reserve(round_up(cache_->length() + 1, options_.kv_block_tokens));
    note_peak();
    const at::Tensor mask = at::ones({b, 1}, at::TensorOptions().dtype(at::kBool).device(device_));
    logits_ = model_
                  .forward(long_tensor(ids, device_).view({b, 1}), long_tensor(positions, device_).view({b, 1}), mask,
                           cache_.get())
                  .select(1, 0);
    ++stats_.decode_steps;
    if (options_.on_step) options_.on_step(stats_);
  }

  // Keeps the given rows (indices into running_, ascending) of the batch, the cache and the logits.
  void keep_rows(const std::vector<int64_t>& keep) {
    if (keep.size() == running_.size()) return;
    std::vector<Running> kept;
    for (const int64_t row : keep) kept.push_back(std::move(running_[static_cast<size_t>(row)]));
    running_ = std::move(kept);
    if (running_.empty()) {
      cache_.reset();
      logits_ = at::Tensor();
      return;
    }
    const at::Tensor index = long_tensor(keep, device_);
    cache_->keep_rows(index);
    cache_->drop_leading_padding();
    logits_ = logits_.index_select(0, index);
  }

  void note_peak() {
    stats_.peak_kv_tokens = std::max(stats_.peak_kv_tokens, cache_->batch() * cache_->capacity());
    stats_.peak_sequences = std::max(stats_.peak_sequences, cache_->batch());
  }

  const Transformer& model_;
  const std::vector<GenerationRequest>& requests_;
  const SamplingParams& params_;
  const GenerationOptions& options_;
  GenerationStats& stats_;
  const at::Device device_;
  std::vector<Completion> completions_;
  std::deque<Running> waiting_;
  std::vector<Running> running_;  // in admission order; row i of cache_ and logits_
  std::unique_ptr<KvCache> cache_;
  at::Tensor logits_;  // [rows, vocab]: the next token's logits of every running row
};

}  // namespace

std::vector<Completion> generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                 const SamplingParams& params, const GenerationOptions& options,
                                 GenerationStats* stats) {
  validate(params);
  if (options.max_sequences < 0 || options.kv_budget_tokens < 0 || options.kv_block_tokens < 1) {
    throw InputError("generate: max_sequences (" + std::to_string(options.max_sequences) + ") and kv_budget_tokens (" +
                     std::to_string(options.kv_budget_tokens) + ") must be >= 0 and kv_block_tokens (" +
                     std::to_string(options.kv_block_tokens) + ") >= 1");
  }
  GenerationStats local;
  GenerationStats& out = stats != nullptr ? *stats : local;
  out = {};
  std::vector<Running> waiting;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].prompt.empty()) throw InputError("generate: request " + std::to_string(i) + " has an empty prompt");
    waiting.push_back({i, at::make_generator<at::CPUGeneratorImpl>(requests[i].seed),
                       static_cast<int64_t>(requests[i].prompt.size())});
  }
  if (requests.empty()) return {};
  // Inference mode, not just no-grad: it also skips version counting and view tracking, which is a large
  // share of the cost of the many small ops of a decode step.
  c10::InferenceMode inference;
  if (!options.use_cache) return generate_recompute(model, requests, params, std::move(waiting));
  return Engine(model, requests, params, options, out).run(std::move(waiting));
}

}  // namespace spct::models
