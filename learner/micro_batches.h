// How a minibatch's completions are split into forward/backward passes (gradient accumulation).
//
// A pass feeds the model one padded [rows, P + C] block (models/logprobs.h: prompts left-padded to the longest
// prompt P, completions right-padded to the longest completion C), so its cost and activation memory follow
// rows x (P + C), its "padded tokens", not the real tokens it holds. Two ways to bound a pass:
//   - max_rows (grpo.micro_batch_size): consecutive runs of at most that many completions, in batch order (the
//     behaviour before token budgets existed, kept exactly when max_tokens is 0);
//   - max_tokens (grpo.micro_batch_tokens): completions sorted by length (prompt + completion, longest first,
//     ties in batch order) and packed greedily: a pass takes the next completion while its padded tokens stay
//     within the budget (and its rows within max_rows when that is set too). Sorting puts completions of similar
//     length together, so a short one is not padded out to a long one's length. A completion that alone exceeds
//     the budget runs in a pass of its own (a sequence is never split).
// Neither set: one pass over everything.
//
// Packing (grpo.packing): a pass's sequences share rows instead of having one each. Sequences are sorted by
// length as for a token budget; a pass's rows are as wide as its first (longest) sequence. Each next sequence
// goes, first fit over all passes planned so far (in the order they were opened), into the first row with room
// left; else into a new row of the first pass that stays within the budget (rows x width <= max_tokens) with
// it; else it opens a new pass. max_rows, when set, caps a pass's sequences (not its rows). A short sequence
// thus fills a gap an earlier pass left instead of waiting for a later one. A pass's padded tokens are rows x
// width: what the packed model input holds (models/logprobs.h: packed_completion_logprobs).
//
// Shared prompts (grpo.share_prompts): packing whose units are a prompt laid out once and the completions that
// follow it (models/logprobs.h: LogProbOptions::share_prompts), so a group of G completions costs P + sum(c)
// tokens instead of G x P + sum(c). The completions of one prompt (equal prompt_keys), in batch order, form a unit,
// split where it would exceed max_rows sequences or max_tokens tokens; units are sorted by length and packed as
// sequences are, a pass's max_rows counting sequences. real_tokens are then the tokens laid out (each prompt
// once per unit).
//
// The loss is normalised by whole-minibatch totals (learner/grpo_loss.h: LossNormalizer), so any split, in any
// order, accumulates the same gradient up to float summation order.
//
// Tensor-free: the memory estimate of `spct train --dry-run` uses it too.
#pragma once

#include <cstdint>
#include <vector>

namespace spct::learner {

struct MicroBatchLimits {
  int64_t max_rows = 0;        // 0 = no row limit
  int64_t max_tokens = 0;      // padded tokens per pass; 0 = no token budget (and no sorting)
  bool pack = false;           // several sequences per row (sorted by length even without a budget)
  bool share_prompts = false;  // packed rows in which each prompt is laid out once for its completions (below)
};

struct MicroBatch {
  std::vector<int64_t> rows;  // indices into the minibatch, in the order the pass stacks them
  int64_t padded_tokens = 0;  // rows x (longest prompt + longest completion); packed: model rows x width
  int64_t real_tokens = 0;    // sum of prompt + completion lengths
  // Packed passes only: the model's rows, each a list of positions in `rows` (row-major, so together they list
  // 0 .. rows.size() - 1 in order). Empty when not packed.
  std::vector<std::vector<int64_t>> packing;
};

// The passes over completions whose prompt and completion lengths are given (one entry per completion). Every
// completion is in exactly one pass. Empty input: no pass. prompt_keys (one per completion, equal for the same
// prompt) are read with limits.share_prompts only.
// REQUIRES: equal sizes, limits >= 0. Throws spct::Error otherwise.
std::vector<MicroBatch> plan_micro_batches(const std::vector<int64_t>& prompt_lengths,
                                           const std::vector<int64_t>& completion_lengths,
                                           const MicroBatchLimits& limits,
                                           const std::vector<int64_t>& prompt_keys = {});

// Padded and real tokens of a whole plan (for learner/padding_share).
struct PaddingTotals {
  int64_t padded_tokens = 0;
  int64_t real_tokens = 0;
};
PaddingTotals padding_totals(const std::vector<MicroBatch>& plan);

}  // namespace spct::learner
