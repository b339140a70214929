// A prompt dataset read from a Parquet file (data.path or data.eval_path ending in .parquet): one row per
// item, with the same fields as a JSONL dataset (prompt_record.h), as columns:
//   prompt    string                                     (or)
//   messages  list<struct<role: string, content: string>>   chat turns, rendered with the chat template
//   answer    string or number
//   id        string or integer (optional; default "row-<n>")
// A null cell counts as an absent field; other columns are ignored. Errors name the file, the 1-based row and
// the field: "math.parquet: row 3: \"answer\" must be a string or a number, not array".
//
// Built on the Arrow/Parquet C++ libraries of the pyarrow wheel (cmake/SpctParquet.cmake). A build configured
// without them still has this class: available() is false and load() says how to get Parquet support.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "orchestrator/data/prompt_record.h"
#include "orchestrator/data/prompt_source.h"

namespace spct::data {

class ParquetDataset final : public PromptSource {
 public:
  // Whether this build reads Parquet files.
  static bool available();

  // Reads and validates the whole file. Throws spct::InputError naming the file (and row and field) for a
  // file that cannot be read or is not Parquet, a column of a type no field accepts, any record error of
  // PromptRecords::add, and a file with no rows; spct::UsageError when this build has no Parquet support.
  static std::shared_ptr<const ParquetDataset> load(const std::string& path, const JsonlOptions& options = {});

  uint64_t size() const override { return items_.size(); }
  PromptItem at(uint64_t index) const override { return items_.at(index); }
  // "parquet sha256=<digest of the file> items=<n>".
  std::string fingerprint() const override { return fingerprint_; }

 private:
  ParquetDataset(std::vector<PromptItem> items, std::string fingerprint);

  const std::vector<PromptItem> items_;
  const std::string fingerprint_;
};

}  // namespace spct::data
