// A build without Parquet support (no pyarrow when it was configured) refuses a .parquet dataset with a
// message saying how to get support, rather than misreading it as JSONL. Built only in such builds
// (tests/unit/data/CMakeLists.txt).
#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "orchestrator/data/parquet_dataset.h"
#include "orchestrator/data/prompt_sources.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;

TEST_CASE("without Parquet support a .parquet dataset is a usage error saying how to get it", "[data][parquet]") {
  const spct::testing::TempDir dir;
  CHECK_FALSE(spct::data::ParquetDataset::available());
  const std::string path = dir.write("x.parquet", "PAR1");
  CHECK_THROWS_AS(spct::data::load_prompt_file(path, {}), spct::UsageError);
  CHECK_THROWS_WITH(spct::data::load_prompt_file(path, {}), Contains(path) &&
                                                                Contains("built without Parquet support") &&
                                                                Contains("scripts/install-python.sh"));
}
