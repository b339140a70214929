#include "orchestrator/observe/rollout_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/tokenizer/utf8.h"

namespace spct::observe {
namespace {

// Code points of UTF-8 `text`, each as its bytes (bytes of broken sequences stand alone).
std::vector<std::string> code_points(const std::string& text) {
  std::vector<std::string> points;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = tokenizer::utf8::char_length(text, i);
    points.push_back(text.substr(i, n));
    i += n;
  }
  return points;
}

bool is_space(const std::string& point) {
  return point.size() == 1 && (point[0] == ' ' || point[0] == '\n' || point[0] == '\t' || point[0] == '\r');
}

std::string number(double value) {
  return std::isnan(value) ? "nan" : fmt::format("{:.3f}", value);
}

// "critique 1 (chunk 2): Response 2 scored 7, voted, meta 0.750": which critique, and what it said of the record.
std::string critique_head(const RolloutCritique& c) {
  const std::string chunk = c.chunk > 0 ? fmt::format(" (chunk {})", c.chunk) : "";
  const std::string score = std::isnan(c.score) ? "?" : fmt::format("{:g}", c.score);
  const std::string meta = c.meta_score != 0 ? fmt::format(", meta {}", number(c.meta_score)) : "";
  return fmt::format("critique {}{}: Response {} scored {}, {}{}", c.sample, chunk, c.response, score,
                     c.voted ? "voted" : "not voted", meta);
}

}  // namespace

std::vector<RolloutRecord> select_rollouts(std::vector<RolloutRecord> records, RolloutOrder order, int64_t limit) {
  const auto key = [](const RolloutRecord& r) {
    return std::isnan(r.reward) ? -std::numeric_limits<double>::infinity() : r.reward;
  };
  if (order == RolloutOrder::kWorst) {
    std::stable_sort(records.begin(), records.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  } else if (order == RolloutOrder::kBest) {
    std::stable_sort(records.begin(), records.end(), [&](const auto& a, const auto& b) { return key(a) > key(b); });
  }
  if (limit > 0 && static_cast<std::size_t>(limit) < records.size()) records.resize(static_cast<std::size_t>(limit));
  return records;
}

std::string excerpt(const std::string& text, int64_t width, bool from_end) {
  std::vector<std::string> points;
  for (std::string& point : code_points(text)) {
    const bool space = is_space(point);
    if (space && (points.empty() || points.back() == " ")) continue;
    points.push_back(space ? " " : std::move(point));
  }
  if (!points.empty() && points.back() == " ") points.pop_back();
  const auto keep = static_cast<std::size_t>(std::max<int64_t>(width, 1));
  std::string out;
  if (points.size() <= keep) {
    for (const std::string& point : points) out += point;
    return out;
  }
  // No space next to the "…".
  if (from_end) {
    out = "…";
    std::size_t i = points.size() - (keep - 1);
    if (points[i] == " ") ++i;
    for (; i < points.size(); ++i) out += points[i];
  } else {
    std::size_t end = keep - 1;
    if (end > 0 && points[end - 1] == " ") --end;
    for (std::size_t i = 0; i < end; ++i) out += points[i];
    out += "…";
  }
  return out;
}

std::string format_rollouts_table(const std::vector<RolloutRecord>& records, int64_t width, bool full) {
  const auto pad = [](const std::string& text, int64_t w) {
    const auto n = static_cast<int64_t>(code_points(text).size());
    return text + std::string(static_cast<std::size_t>(std::max<int64_t>(0, w - n)), ' ');
  };
  std::string out = fmt::format("{:>8} {:>5} {:>3} {:>8} {:>8} {:>6} {:>5}  {}  {}\n", "step", "group", "idx", "reward",
                                "adv", "len", "trunc", pad("prompt (end)", width), "completion");
  const int64_t note_width = 2 * width;
  for (const RolloutRecord& r : records) {
    out += fmt::format("{:>8} {:>5} {:>3} {:>8} {:>8} {:>6} {:>5}  {}  {}\n", r.step, r.group, r.index,
                       number(r.reward), number(r.advantage), r.length, r.truncated ? "yes" : "no",
                       pad(excerpt(r.prompt, width, true), width), excerpt(r.completion, width));
    for (const auto& [name, text] : r.info) {
      out += fmt::format("{:>10}info {}: {}\n", "", name, full ? text : excerpt(text, note_width));
    }
    for (const RolloutCritique& c : r.critiques) {
      const std::string head = critique_head(c);
      if (!full) {
        out += fmt::format("{:>10}{}: {}\n", "", head, excerpt(c.text, note_width));
        continue;
      }
      out += fmt::format("{:>10}{}:\n", "", head);
      for (std::size_t start = 0; start <= c.text.size();) {
        const std::size_t end = std::min(c.text.find('\n', start), c.text.size());
        out += fmt::format("{:>12}{}\n", "", c.text.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  return out;
}

std::string rollouts_json(const std::vector<RolloutRecord>& records) {
  std::string out = "[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += to_json_line(records[i]);
  }
  out += records.empty() ? "]\n" : "\n]\n";
  return out;
}

std::string rollout_samples_markdown(const std::vector<RolloutRecord>& records, int64_t samples) {
  const int64_t best = (samples + 1) / 2;
  std::vector<RolloutRecord> shown = select_rollouts(records, RolloutOrder::kBest, best);
  const int64_t worst = std::min<int64_t>(samples - best, static_cast<int64_t>(records.size()) - best);
  if (worst > 0) {
    std::vector<RolloutRecord> low = select_rollouts(records, RolloutOrder::kWorst, worst);
    std::reverse(low.begin(), low.end());
    shown.insert(shown.end(), low.begin(), low.end());
  }
  std::string out;
  for (const RolloutRecord& r : shown) {
    out += fmt::format("**group {} #{}** reward {} advantage {} length {}{}\n\n", r.group, r.index, number(r.reward),
                       number(r.advantage), r.length, r.truncated ? " (truncated)" : "");
    out += "    " + excerpt(r.prompt, 200, true) + "\n\n";
    // Indented code blocks (excerpts are one line): the texts' own backticks or markup cannot break them.
    out += "    " + excerpt(r.completion, 600) + "\n\n";
    for (const auto& [name, text] : r.info) out += "    info " + name + ": " + excerpt(text, 300) + "\n\n";
    for (const RolloutCritique& c : r.critiques)
      out += "    " + critique_head(c) + ": " + excerpt(c.text, 300) + "\n\n";
  }
  return out;
}

}  // namespace spct::observe
