#include "orchestrator/data/reference_answer.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "orchestrator/data/jsonl_dataset.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::data::extract_reference_answer;
using spct::data::JsonlDataset;
using spct::data::JsonlOptions;
using spct::data::ReferenceExtraction;
using spct::testing::TempDir;

TEST_CASE("GSM8K and boxed reference answers are cut out of worked solutions", "[data]") {
  CHECK(extract_reference_answer("She has 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n#### 18", ReferenceExtraction::kGsm8k) ==
        "18");
  CHECK(extract_reference_answer("a #### 1 then #### 1,000 \n", ReferenceExtraction::kGsm8k) == "1000");
  CHECK(extract_reference_answer("#### -3.5", ReferenceExtraction::kGsm8k) == "-3.5");
  CHECK_FALSE(extract_reference_answer("no marker, 18", ReferenceExtraction::kGsm8k));
  CHECK_FALSE(extract_reference_answer("####   ", ReferenceExtraction::kGsm8k));
  CHECK(extract_reference_answer("so \\boxed{2} and finally \\boxed{\\frac{1}{2}}.", ReferenceExtraction::kBoxed) ==
        "\\frac{1}{2}");
  CHECK(extract_reference_answer("\\boxed{7} then \\boxed{8", ReferenceExtraction::kBoxed) == "7");
  CHECK_FALSE(extract_reference_answer("no box", ReferenceExtraction::kBoxed));
  CHECK(extract_reference_answer(" as is ", ReferenceExtraction::kNone) == " as is ");
}

TEST_CASE("a JSONL dataset reads renamed fields and extracts its answers", "[data]") {
  TempDir dir;
  const std::string path = dir.write("gsm8k.jsonl",
                                     "{\"question\": \"Janet has 3 eggs...\", \"solution\": \"3*6=18\\n#### 18\", "
                                     "\"uid\": \"g1\"}\n"
                                     "{\"chat\": [{\"role\": \"user\", \"content\": \"1+1?\"}], \"solution\": "
                                     "\"#### 2\"}\n");
  JsonlOptions options;
  options.fields = {"question", "chat", "solution", "uid"};
  options.answer_extraction = ReferenceExtraction::kGsm8k;
  const auto dataset = JsonlDataset::load(path, options);
  REQUIRE(dataset->size() == 2);
  CHECK(dataset->at(0).prompt == "Janet has 3 eggs...");
  CHECK(dataset->at(0).answer == "18");
  CHECK(dataset->at(0).id == "g1");
  CHECK(dataset->at(1).is_chat());
  CHECK(dataset->at(1).messages.at(0).content == "1+1?");
  CHECK(dataset->at(1).answer == "2");
  CHECK(dataset->at(1).id == "line-2");
}

TEST_CASE("errors name the file, the line and the configured field", "[data]") {
  TempDir dir;
  JsonlOptions options;
  options.fields = {"question", "chat", "solution", "uid"};
  options.answer_extraction = ReferenceExtraction::kGsm8k;
  const auto error = [&](const std::string& text) {
    const std::string path = dir.write("bad.jsonl", text);
    try {
      JsonlDataset::load(path, options);
    } catch (const spct::InputError& e) {
      CHECK_THAT(std::string(e.what()), Contains(path));
      return std::string(e.what());
    }
    FAIL("expected an InputError for " << text);
    return std::string();
  };
  const std::string ok = "{\"question\": \"q\", \"solution\": \"#### 1\"}\n";
  CHECK_THAT(error(ok + "{\"prompt\": \"q\", \"solution\": \"#### 1\"}\n"),
             Contains(":2: needs \"question\" (text) or \"chat\" (chat turns)"));
  CHECK_THAT(error(ok + ok + "{\"question\": \"q\", \"solution\": \"it is 4\"}\n"),
             Contains(":3: \"solution\" has no final answer to extract (no \"#### <answer>\")"));
  CHECK_THAT(error("{\"question\": \"q\", \"answer\": \"#### 1\"}\n"), Contains(":1: missing \"solution\""));
  CHECK_THAT(error("{\"question\": \"q\", \"solution\": \"#### 1\", \"uid\": [1]}\n"),
             Contains(":1: \"uid\" must be a string or an integer"));
  CHECK_THAT(error("{\"chat\": [{\"role\": \"user\"}], \"solution\": \"#### 1\"}\n"),
             Contains(":1: chat[0]: missing \"content\""));
}
