#include "workers/reward/rollout_notes.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "models/tokenizer/utf8.h"

namespace spct::reward {
namespace {

// Byte offsets where the characters of `text` start (a byte of a broken sequence counts as one).
std::vector<std::size_t> char_starts(const std::string& text) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < text.size(); i += tokenizer::utf8::char_length(text, i)) starts.push_back(i);
  return starts;
}

}  // namespace

bool rollout_logged(const config::ObserveSection& observe, uint64_t step) {
  return observe.rollout_log_every > 0 && step % static_cast<uint64_t>(observe.rollout_log_every) == 0;
}

std::string cut_middle(const std::string& text, int64_t max_chars) {
  const std::vector<std::size_t> starts = char_starts(text);
  const auto keep = static_cast<std::size_t>(std::max<int64_t>(max_chars, 0));
  if (starts.size() <= keep) return text;
  const std::size_t head = keep / 2;
  const std::size_t tail = keep - head;
  const std::size_t tail_at = starts[starts.size() - tail];
  const std::size_t head_end = starts[head];
  return text.substr(0, head_end) + fmt::format("\n[... {} characters cut ...]\n", starts.size() - keep) +
         text.substr(tail_at);
}

std::string cut_end(const std::string& text, int64_t max_chars) {
  const std::vector<std::size_t> starts = char_starts(text);
  const auto keep = static_cast<std::size_t>(std::max<int64_t>(max_chars, 0));
  if (starts.size() <= keep) return text;
  return text.substr(0, starts[keep]) + fmt::format(" [... {} characters cut]", starts.size() - keep);
}

std::vector<protocol::GrmCritique> critiques_for_log(const std::vector<grm::CritiqueRecord>& critiques,
                                                     int64_t chars_per_line) {
  if (chars_per_line <= 0) return {};
  std::map<int, int64_t> per_chunk;
  for (const grm::CritiqueRecord& critique : critiques) ++per_chunk[critique.chunk];
  std::vector<protocol::GrmCritique> out;
  out.reserve(critiques.size());
  for (const grm::CritiqueRecord& critique : critiques) {
    protocol::GrmCritique logged;
    logged.chunk = static_cast<uint32_t>(critique.chunk);
    logged.sample = static_cast<uint32_t>(critique.sample);
    logged.order.assign(critique.order.begin(), critique.order.end());
    // Scores that parsed but do not cover the shown responses would name the wrong ones: left out.
    if (critique.parsed.ok() && critique.parsed.scores.size() == critique.order.size()) {
      logged.scores.assign(critique.parsed.scores.begin(), critique.parsed.scores.end());
    }
    logged.meta_score = critique.meta_score;
    logged.voted = critique.voted;
    logged.text = cut_middle(critique.text, chars_per_line / per_chunk[critique.chunk]);
    out.push_back(std::move(logged));
  }
  return out;
}

}  // namespace spct::reward
