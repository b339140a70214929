// ParquetDataset in a build configured without the pyarrow wheel's Arrow/Parquet libraries
// (cmake/SpctParquet.cmake): every load says so, instead of a link error or a silent JSONL misread.
#include <utility>

#include "core/error.h"
#include "orchestrator/data/parquet_dataset.h"

namespace spct::data {

bool ParquetDataset::available() {
  return false;
}

ParquetDataset::ParquetDataset(std::vector<PromptItem> items, std::string fingerprint)
    : items_(std::move(items)), fingerprint_(std::move(fingerprint)) {}

std::shared_ptr<const ParquetDataset> ParquetDataset::load(const std::string& path, const JsonlOptions&) {
  throw UsageError(path +
                   ": this spct was built without Parquet support (its python had no pyarrow when it was "
                   "configured): run scripts/install-python.sh (pyarrow is pinned in python/requirements.txt) and "
                   "rebuild, or convert the file to JSONL");
}

}  // namespace spct::data
