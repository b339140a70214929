// Parquet files written by pyarrow (the same wheel whose C++ libraries spct reads them with), loaded through
// the same record checks as JSONL. Built only with Parquet support (tests/unit/data/CMakeLists.txt); a build
// without it runs parquet_unavailable_test.cpp instead.
#include "orchestrator/data/parquet_dataset.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "orchestrator/data/prompt_sources.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::data::ParquetDataset;
using spct::testing::TempDir;

namespace {

// Runs `body` (Python with pyarrow as pa, pyarrow.parquet as pq, and OUT the target path) to write `name`.
std::string write_parquet(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string out = dir.path() + "/" + name;
  const std::string script = dir.write(name + ".py",
                                       "import sys\nimport pyarrow as pa\nimport pyarrow.parquet as pq\n"
                                       "OUT = sys.argv[1]\n" +
                                           body);
  const std::string command = std::string(SPCT_PYTHON) + " " + script + " " + out;
  REQUIRE(std::system(command.c_str()) == 0);
  return out;
}

std::string load_error(const std::string& path, const spct::data::JsonlOptions& options = {}) {
  try {
    ParquetDataset::load(path, options);
  } catch (const spct::InputError& e) {
    CHECK_THAT(std::string(e.what()), Contains(path));
    return e.what();
  }
  FAIL("expected an InputError for " << path);
  return "";
}

}  // namespace

TEST_CASE("a Parquet file of prompts and chat messages loads like JSONL", "[data][parquet]") {
  TempDir dir;
  REQUIRE(ParquetDataset::available());
  const std::string path = write_parquet(dir, "math.parquet", R"(
msgs = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
pq.write_table(pa.table({
    "prompt": pa.array(["Simplify 6/8.", None, "2+2="]),
    "messages": pa.array([None, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "6*7?"}],
                          None], type=msgs),
    "answer": pa.array(["\\frac{3}{4}", "42", "4"]),
    "id": pa.array([7, None, 9], type=pa.int64()),
    "source": pa.array(["a", "b", "c"]),
}), OUT, row_group_size=2)
)");
  const auto dataset = spct::data::load_prompt_file(path, {});
  REQUIRE(dataset->size() == 3);
  CHECK(dataset->at(0).prompt == "Simplify 6/8.");
  CHECK(dataset->at(0).answer == "\\frac{3}{4}");
  CHECK(dataset->at(0).id == "7");
  CHECK(dataset->at(1).is_chat());
  CHECK(dataset->at(1).messages == std::vector<spct::data::ChatMessage>{{"system", "Be brief."}, {"user", "6*7?"}});
  CHECK(dataset->at(1).id == "row-2");
  CHECK(dataset->at(2).answer == "4");
  CHECK_THAT(dataset->fingerprint(), Contains("parquet sha256=") && Contains("items=3"));
}

TEST_CASE("Parquet fields are configurable and GSM8K answers are extracted", "[data][parquet]") {
  TempDir dir;
  const std::string path = write_parquet(dir, "gsm8k.parquet", R"(
pq.write_table(pa.table({"question": ["Janet has 3 eggs..."], "solution": ["3*6=18\n#### 1,018"]}), OUT)
)");
  spct::data::JsonlOptions options;
  options.fields.prompt = "question";
  options.fields.answer = "solution";
  options.answer_extraction = spct::data::ReferenceExtraction::kGsm8k;
  const auto dataset = ParquetDataset::load(path, options);
  REQUIRE(dataset->size() == 1);
  CHECK(dataset->at(0).answer == "1018");
}

TEST_CASE("bad Parquet rows are reported with file, row and field", "[data][parquet]") {
  TempDir dir;
  CHECK_THAT(load_error(write_parquet(dir, "a.parquet", R"(
pq.write_table(pa.table({"prompt": ["a", "b", "c"], "answer": pa.array([[1], [2], [3]])}), OUT)
)")),
             Contains("a.parquet: row 1: \"answer\" must be a string or a number, not array"));
  CHECK_THAT(load_error(write_parquet(dir, "b.parquet", R"(
pq.write_table(pa.table({"prompt": ["a", None], "answer": ["1", "2"]}), OUT)
)")),
             Contains("b.parquet: row 2: needs \"prompt\" (text) or \"messages\" (chat turns)"));
  CHECK_THAT(load_error(write_parquet(dir, "c.parquet", R"(
pq.write_table(pa.table({"prompt": ["a", "b"], "answer": ["1", "2"], "id": ["x", "x"]}), OUT)
)")),
             Contains("c.parquet: row 2: id \"x\" repeats the id on row 1"));
  CHECK_THAT(load_error(write_parquet(dir, "d.parquet", R"(
pq.write_table(pa.table({"prompt": pa.array([], pa.string()), "answer": pa.array([], pa.string())}), OUT)
)")),
             Contains("d.parquet: the dataset has no prompts (the file has no rows)"));
  CHECK_THAT(load_error(dir.write("e.parquet", "{\"prompt\": \"not parquet\"}\n")), Contains("not a Parquet file"));
  CHECK_THAT(load_error(dir.path() + "/missing.parquet"), Contains("cannot open dataset"));
}
