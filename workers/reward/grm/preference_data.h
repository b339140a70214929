// Preference data for training and evaluating the GRM, read from JSONL (one JSON object a line).
//
// Two line shapes are accepted, chosen per line by the keys present:
//   RewardBench pair: {"prompt": str, "chosen": str, "rejected": str, "subset": str (optional)}
//                     -> responses {chosen, rejected}, truth 0.
//   Listwise:         {"query": str, "responses": [str, ...], "best": int, "subset": str (optional)}
//                     with 2 or more responses and 0 <= best < n; or, for the single-response variant,
//                     {"query": str, "responses": [str], "label": 0 | 1}.
// Other keys (RewardBench's "id", "chosen_model", ...) are ignored. Blank lines are skipped. Anything else
// is a spct::InputError naming "file:line" and the key at fault.
//
// Thread safety: the functions are pure apart from reading the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spct::grm {

struct PreferenceItem {
  std::string query;
  std::vector<std::string> responses;
  int truth = 0;       // correctness.h: index of the best response (n >= 2), or the expected score (n == 1)
  std::string subset;  // RewardBench subset name, or "" when the line has none
  std::string where;   // "file:line", for messages about this item later on
  // Optional, n >= 2: per response 1 when it is right and 0 when it is wrong, for an item with no single best
  // response (all wrong, all right, or several right). Empty for the usual item with one best response (every
  // JSONL item). A labelled item is judged by correctness.h's absolute rule; its `truth` is its first right
  // response (0 when none is right) and `answer` is the right answer, which its principle states.
  std::vector<int> labels;
  std::string answer;
};

// Whether response `r` of `item` is a right one: labels[r] for a labelled item, else r == truth.
// REQUIRES: r < item.responses.size().
bool response_right(const PreferenceItem& item, size_t r);

// Parses JSONL `text`; `name` is used in messages (normally the file's path).
std::vector<PreferenceItem> parse_preference_jsonl(std::string_view text, const std::string& name);

// Reads and parses the file at `path`. Throws spct::InputError when it cannot be read or a line is malformed.
std::vector<PreferenceItem> load_preference_jsonl(const std::string& path);

}  // namespace spct::grm
