#include "learner/micro_batches.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/error.h"

namespace spct::learner {
namespace {

// The pass being filled, with its longest prompt and completion so far.
struct Open {
  MicroBatch pass;
  int64_t prompt = 0;
  int64_t completion = 0;

  int64_t padded_with(int64_t p, int64_t c) const {
    return (static_cast<int64_t>(pass.rows.size()) + 1) * (std::max(prompt, p) + std::max(completion, c));
  }
  void add(int64_t row, int64_t p, int64_t c) {
    pass.rows.push_back(row);
    prompt = std::max(prompt, p);
    completion = std::max(completion, c);
    pass.padded_tokens = static_cast<int64_t>(pass.rows.size()) * (prompt + completion);
    pass.real_tokens += p + c;
  }
};

}  // namespace

std::vector<MicroBatch> plan_micro_batches(const std::vector<int64_t>& prompt_lengths,
                                           const std::vector<int64_t>& completion_lengths,
                                           const MicroBatchLimits& limits) {
  if (prompt_lengths.size() != completion_lengths.size()) {
    throw Error(ExitCode::kFailure, "micro-batches: " + std::to_string(prompt_lengths.size()) + " prompts but " +
                                        std::to_string(completion_lengths.size()) + " completions");
  }
  if (limits.max_rows < 0 || limits.max_tokens < 0) {
    throw Error(ExitCode::kFailure, "micro-batches: negative limit (rows " + std::to_string(limits.max_rows) +
                                        ", tokens " + std::to_string(limits.max_tokens) + ")");
  }
  const auto n = static_cast<int64_t>(prompt_lengths.size());
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  const auto length = [&](int64_t r) {
    return prompt_lengths[static_cast<std::size_t>(r)] + completion_lengths[static_cast<std::size_t>(r)];
  };
  if (limits.max_tokens > 0) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return length(a) > length(b); });
  }
  std::vector<MicroBatch> plan;
  Open open;
  for (const int64_t r : order) {
    const int64_t p = prompt_lengths[static_cast<std::size_t>(r)];
    const int64_t c = completion_lengths[static_cast<std::size_t>(r)];
    const bool rows_full = limits.max_rows > 0 && static_cast<int64_t>(open.pass.rows.size()) >= limits.max_rows;
    const bool tokens_full = limits.max_tokens > 0 && open.padded_with(p, c) > limits.max_tokens;
    if (!open.pass.rows.empty() && (rows_full || tokens_full)) {
      plan.push_back(std::move(open.pass));
      open = Open{};
    }
    open.add(r, p, c);
  }
  if (!open.pass.rows.empty()) plan.push_back(std::move(open.pass));
  return plan;
}

PaddingTotals padding_totals(const std::vector<MicroBatch>& plan) {
  PaddingTotals totals;
  for (const MicroBatch& pass : plan) {
    totals.padded_tokens += pass.padded_tokens;
    totals.real_tokens += pass.real_tokens;
  }
  return totals;
}

}  // namespace spct::learner
