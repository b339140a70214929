#include "learner/micro_batches.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <utility>

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

// What packing places as a whole: one sequence, or (shared prompts) a prompt and completions that follow it.
struct Unit {
  std::vector<int64_t> sequences;
  int64_t length = 0;  // the tokens it puts in a row
};

// A packed pass still open to units: its model rows (sequence indices) and the tokens each holds.
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
  // Whether the unit's sequences keep the pass within micro_batch_size.
  bool takes_sequences(const Unit& unit, const MicroBatchLimits& limits) const {
    return limits.max_rows == 0 || sequences + static_cast<int64_t>(unit.sequences.size()) <= limits.max_rows;
  }
  // Whether one more row keeps the pass within the token budget.
  bool takes_row(const MicroBatchLimits& limits) const {
    return limits.max_tokens == 0 || (static_cast<int64_t>(members.size()) + 1) * width <= limits.max_tokens;
  }
  void add(const Unit& unit, std::size_t row) {
    if (members.empty()) width = unit.length;
    if (row == members.size()) {
      members.emplace_back();
      used.push_back(0);
    }
    members[row].insert(members[row].end(), unit.sequences.begin(), unit.sequences.end());
    used[row] += unit.length;
    sequences += static_cast<int64_t>(unit.sequences.size());
    real_tokens += unit.length;
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

// Packed passes over `units`, taken in order (longest first), first fit over every pass opened so far: the
// first row (of the earliest pass) with room for the unit, which costs no padded token; else a new row in the
// earliest pass whose budget allows one (its width in padded tokens); else a new pass. Every pass stays open to
// the end, so a short unit fills a gap an earlier pass left instead of padding a later one. Each pass's width is
// its first unit's length, and later units are no longer, so they fit a row.
std::vector<MicroBatch> plan_packed(const std::vector<Unit>& units, const MicroBatchLimits& limits) {
  std::vector<OpenPacked> passes;
  const auto place = [&](const Unit& unit) {
    for (OpenPacked& pass : passes) {
      const std::size_t row = pass.row_for(unit.length);
      if (pass.takes_sequences(unit, limits) && row < pass.members.size()) return pass.add(unit, row);
    }
    for (OpenPacked& pass : passes) {
      if (pass.takes_sequences(unit, limits) && pass.takes_row(limits)) return pass.add(unit, pass.members.size());
    }
    passes.emplace_back().add(unit, 0);
  };
  for (const Unit& unit : units) place(unit);
  std::vector<MicroBatch> plan;
  plan.reserve(passes.size());
  for (const OpenPacked& pass : passes) plan.push_back(pass.close());
  return plan;
}

// Shared prompts: each prompt's sequences (equal keys, in batch order) as units of one copy of the prompt and
// the completions after it, split where a unit would exceed max_rows sequences or max_tokens tokens (a unit
// always takes at least one sequence); longest first, ties in order of their first sequence.
std::vector<Unit> prompt_units(const std::vector<int64_t>& prompt_lengths,
                               const std::vector<int64_t>& completion_lengths, const std::vector<int64_t>& prompt_keys,
                               const MicroBatchLimits& limits) {
  std::vector<std::vector<int64_t>> groups;
  std::map<int64_t, std::size_t> group_of;
  for (std::size_t r = 0; r < prompt_keys.size(); ++r) {
    const auto [it, added] = group_of.try_emplace(prompt_keys[r], groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(static_cast<int64_t>(r));
  }
  std::vector<Unit> units;
  for (const std::vector<int64_t>& group : groups) {
    Unit unit;
    for (const int64_t r : group) {
      const int64_t c = completion_lengths[static_cast<std::size_t>(r)];
      const bool rows_full = limits.max_rows > 0 && static_cast<int64_t>(unit.sequences.size()) >= limits.max_rows;
      const bool tokens_full = limits.max_tokens > 0 && unit.length + c > limits.max_tokens;
      if (!unit.sequences.empty() && (rows_full || tokens_full)) units.push_back(std::exchange(unit, Unit{}));
      if (unit.sequences.empty()) unit.length = prompt_lengths[static_cast<std::size_t>(r)];
      unit.sequences.push_back(r);
      unit.length += c;
    }
    units.push_back(std::move(unit));
  }
  std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.length > b.length; });
  return units;
}

}  // namespace

std::vector<MicroBatch> plan_micro_batches(const std::vector<int64_t>& prompt_lengths,
                                           const std::vector<int64_t>& completion_lengths,
                                           const MicroBatchLimits& limits, const std::vector<int64_t>& prompt_keys) {
  if (prompt_lengths.size() != completion_lengths.size() ||
      (limits.share_prompts && prompt_keys.size() != prompt_lengths.size())) {
    throw Error(
        ExitCode::kFailure,
        "micro-batches: " + std::to_string(prompt_lengths.size()) + " prompts but " +
            std::to_string(completion_lengths.size()) + " completions" +
            (limits.share_prompts ? " and " + std::to_string(prompt_keys.size()) + " prompt keys" : std::string()));
  }
  if (limits.max_rows < 0 || limits.max_tokens < 0) {
    throw Error(ExitCode::kFailure, "micro-batches: negative limit (rows " + std::to_string(limits.max_rows) +
                                        ", tokens " + std::to_string(limits.max_tokens) + ")");
  }
  // Shared prompts order their units themselves (prompt_units).
  if (limits.share_prompts) {
    return plan_packed(prompt_units(prompt_lengths, completion_lengths, prompt_keys, limits), limits);
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
    std::vector<Unit> units;
    units.reserve(order.size());
    for (const int64_t r : order) units.push_back({{r}, length(r)});
    return plan_packed(units, limits);
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
