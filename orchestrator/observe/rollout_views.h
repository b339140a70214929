// How rollout records (rollout_record.h) are shown: the `spct rollouts` table and JSON, and the markdown of
// TensorBoard's text summary. Tensor-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/observe/rollout_record.h"

namespace spct::observe {

enum class RolloutOrder {
  kFile,   // as written: by group, then completion
  kWorst,  // lowest reward first (NaN rewards sort first: they are the worst news)
  kBest,   // highest reward first
};

// The first `limit` records in `order` (all when limit <= 0); stable, so ties keep file order.
std::vector<RolloutRecord> select_rollouts(std::vector<RolloutRecord> records, RolloutOrder order, int64_t limit);

// `text` on one line (whitespace runs become one space) and at most `width` characters (code points), ending
// in "…" when cut. `from_end`: keep the end instead (a prompt's end is its question, after any chat template).
std::string excerpt(const std::string& text, int64_t width, bool from_end = false);

// A table: step, group, index, reward, advantage, length, truncated, then the prompt's and the completion's
// excerpts of `width` characters each. Under the row of a record with info or critiques, one indented line per
// reward info and per critique (which sample, the completion's label and score in it, whether it voted), each
// with an excerpt of 2 x `width` characters; `full`: the whole texts instead, the critiques' on lines of their own.
std::string format_rollouts_table(const std::vector<RolloutRecord>& records, int64_t width, bool full = false);

// A JSON array of the records, each with the keys of rollout_record.h, then a newline.
std::string rollouts_json(const std::vector<RolloutRecord>& records);

// Markdown for TensorBoard's Text tab: the best and the worst `samples` completions of the step (half each,
// best first), each with its reward, advantage, length and the prompt's end and the completion in code blocks,
// then an excerpt of each info and critique.
std::string rollout_samples_markdown(const std::vector<RolloutRecord>& records, int64_t samples);

}  // namespace spct::observe
