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

// A packed pass still open to sequences: its model rows (sequence indices) and the tokens each holds.
struct OpenPacked {
  std::vector<std::vector<int64_t>> members;
  std::vector<int64_t> used;
  int64_t width = 0;  // the first (longest) sequence's length
  int64_t sequences = 0;
  int64_t real_tokens = 0;

  // The first row with room for `length` tokens, or members.size() when none has.
  std::size_t row_for(int64_t length) const {
    std::size_t row = 0;
    while (row < used.size() && used[row] + length > width) ++row;
    return row;
  }
  bool takes_sequence(const MicroBatchLimits& limits) const {
    return limits.max_rows == 0 || sequences < limits.max_rows;
  }
  // Whether one more row keeps the pass within the token budget.
  bool takes_row(const MicroBatchLimits& limits) const {
    return limits.max_tokens == 0 || (static_cast<int64_t>(members.size()) + 1) * width <= limits.max_tokens;
  }
  void add(int64_t sequence, int64_t length, std::size_t row) {
    if (members.empty()) width = length;
    if (row == members.size()) {
      members.emplace_back();
      used.push_back(0);
    }
    members[row].push_back(sequence);
    used[row] += length;
    ++sequences;
    real_tokens += length;
  }
  // The pass, its sequences listed row after row.
  MicroBatch close() const {
    MicroBatch pass;
    for (const std::vector<int64_t>& row : members) {
      std::vector<int64_t> positions;
      for (const int64_t sequence : row) {
        positions.push_back(static_cast<int64_t>(pass.rows.size()));
        pass.rows.push_back(sequence);
      }
      pass.packing.push_back(std::move(positions));
    }
    pass.padded_tokens = static_cast<int64_t>(members.size()) * width;
    pass.real_tokens = real_tokens;
    return pass;
  }
};

// Packed passes over sequences of `lengths`, taken in `order` (longest first), first fit over every pass opened
// so far: the first row (of the earliest pass) with room for the sequence, which costs no padded token; else a
// new row in the earliest pass whose budget allows one (its width in padded tokens); else a new pass. Every
// pass stays open to the end, so a short sequence fills a gap an earlier pass left instead of padding a later
// one. Each pass's width is its first sequence's length, and later sequences are no longer, so they fit a row.
std::vector<MicroBatch> plan_packed(const std::vector<int64_t>& order, const std::vector<int64_t>& lengths,
                                    const MicroBatchLimits& limits) {
  std::vector<OpenPacked> passes;
  const auto place = [&](int64_t sequence, int64_t length) {
    for (OpenPacked& pass : passes) {
      const std::size_t row = pass.row_for(length);
      if (pass.takes_sequence(limits) && row < pass.members.size()) return pass.add(sequence, length, row);
    }
    for (OpenPacked& pass : passes) {
      if (pass.takes_sequence(limits) && pass.takes_row(limits)) return pass.add(sequence, length, pass.members.size());
    }
    passes.emplace_back().add(sequence, length, 0);
  };
  for (const int64_t r : order) place(r, lengths[static_cast<std::size_t>(r)]);
  std::vector<MicroBatch> plan;
  plan.reserve(passes.size());
  for (const OpenPacked& pass : passes) plan.push_back(pass.close());
  return plan;
}

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
  if (limits.max_tokens > 0 || limits.pack) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return length(a) > length(b); });
  }
  if (limits.pack) {
    std::vector<int64_t> lengths;
    for (int64_t r = 0; r < n; ++r) lengths.push_back(length(r));
    return plan_packed(order, lengths, limits);
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
