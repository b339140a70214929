// A prompt dataset read from a JSONL file: one JSON object a line, either
//   {"prompt": "What is 2+3?", "answer": "5"}
// or chat style
//   {"messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}], "answer": "5"}
// with an optional "id" (string or integer; default "line-<n>"). "answer" may be a string or a number. Other
// keys are ignored, so a dataset may carry metadata. Blank lines are skipped; a UTF-8 byte-order mark and
// Windows line ends are accepted. The four key names are configurable (JsonlFields), and the reference answer
// can be cut out of a worked solution (ReferenceExtraction: GSM8K's "#### 42", a MATH-style "\boxed{..}").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "orchestrator/data/prompt_record.h"
#include "orchestrator/data/prompt_source.h"

namespace spct::data {

class JsonlDataset final : public PromptSource {
 public:
  // Reads and validates the whole file. Throws spct::InputError naming the file and the 1-based line (and the
  // key or message index) for: a file that cannot be read, a line that is not a JSON object, a missing or
  // mistyped field, both or neither of "prompt" and "messages", an empty prompt, a repeated id, a prompt over
  // max_prompt_tokens, an answer the extraction finds nothing in; and for a file with no items.
  static std::shared_ptr<const JsonlDataset> load(const std::string& path, const JsonlOptions& options = {});

  uint64_t size() const override { return items_.size(); }
  PromptItem at(uint64_t index) const override { return items_.at(index); }
  // "jsonl sha256=<digest of the file> items=<n>": moving or renaming the file keeps it.
  std::string fingerprint() const override { return fingerprint_; }

  const std::string& path() const { return path_; }

 private:
  JsonlDataset(std::string path, std::vector<PromptItem> items, std::string fingerprint);

  const std::string path_;
  const std::vector<PromptItem> items_;
  const std::string fingerprint_;
};

}  // namespace spct::data
