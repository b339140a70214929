// One record of a prompt dataset (a JSONL line, a Parquet row) as a PromptItem, and the checks that span a
// whole file (unique ids, prompt length). Records are JSON objects: a Parquet row is converted to one first, so
// both formats accept the same fields and give the same errors.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "orchestrator/data/prompt_item.h"
#include "orchestrator/data/reference_answer.h"

namespace spct::data {

// The keys an item's parts are read from, for datasets that name them differently ("question", "solution").
struct JsonlFields {
  std::string prompt = "prompt";
  std::string messages = "messages";
  std::string answer = "answer";
  std::string id = "id";
};

struct JsonlOptions {
  // Tokens in an item's prompt as the policy will see it (chat template applied). When set together with a
  // positive max_prompt_tokens, longer prompts are rejected at load time instead of failing mid-run.
  std::function<int64_t(const PromptItem&)> count_tokens;
  int64_t max_prompt_tokens = 0;  // data.max_prompt_tokens; 0 = no length check
  JsonlFields fields;
  ReferenceExtraction answer_extraction = ReferenceExtraction::kNone;
};

// Collects the items of one file. Not thread-safe.
class PromptRecords {
 public:
  PromptRecords(std::string path, JsonlOptions options);

  // Parses `object` and keeps it. `place` says where it is in the file: "12" (a line) gives messages
  // "<path>:12: ...", "row 3" gives "<path>: row 3: ..."; `fallback_id` is its id when it has none.
  // Throws spct::InputError naming the place and the key for a missing or mistyped field, both or neither of
  // the prompt and messages fields, an empty prompt, an answer the extraction finds nothing in, an id seen
  // before, or a prompt over max_prompt_tokens.
  void add(const nlohmann::json& object, const std::string& place, const std::string& fallback_id);

  // The items in file order. Throws spct::InputError when there are none (`why` says why, e.g. "every line is
  // blank").
  std::vector<PromptItem> take(const std::string& why);

 private:
  std::string prefix(const std::string& place) const;

  const std::string path_;
  const JsonlOptions options_;
  std::vector<PromptItem> items_;
  std::unordered_map<std::string, std::string> id_places_;
};

}  // namespace spct::data
