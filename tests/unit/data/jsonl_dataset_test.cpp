#include "orchestrator/data/jsonl_dataset.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "orchestrator/data/prompt_sources.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::data::JsonlDataset;
using spct::testing::TempDir;

namespace {

// The message of the InputError that loading `text` throws; fails the test if loading succeeds.
std::string load_error(const std::string& text, const spct::data::JsonlOptions& options = {}) {
  TempDir dir;
  const std::string path = dir.write("bad.jsonl", text);
  try {
    JsonlDataset::load(path, options);
  } catch (const spct::InputError& e) {
    std::string message = e.what();
    CHECK_THAT(message, Contains(path));
    return message;
  }
  FAIL("expected an InputError for: " << text);
  return "";
}

}  // namespace

TEST_CASE("a JSONL file of prompts and chat messages loads in order", "[data]") {
  TempDir dir;
  const std::string path =
      dir.write("train.jsonl",
                "\xEF\xBB\xBF{\"prompt\": \"2+3=\", \"answer\": \"5\"}\r\n"
                "\n   \n"
                "{\"id\": \"q7\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                " {\"role\": \"user\", \"content\": \"What is 6*7?\"}], \"answer\": 42,"
                " \"source\": \"metadata is ignored\"}\n"
                "{\"id\": 9, \"prompt\": \"pi=\", \"answer\": 3.5}");
  const auto dataset = JsonlDataset::load(path);
  REQUIRE(dataset->size() == 3);
  CHECK(dataset->at(0).prompt == "2+3=");
  CHECK(dataset->at(0).answer == "5");
  CHECK(dataset->at(0).id == "line-1");
  CHECK(dataset->at(1).id == "q7");
  CHECK(dataset->at(1).is_chat());
  CHECK(dataset->at(1).messages ==
        std::vector<spct::data::ChatMessage>{{"system", "Be brief."}, {"user", "What is 6*7?"}});
  CHECK(dataset->at(1).answer == "42");
  CHECK(dataset->at(2).id == "9");
  CHECK(dataset->at(2).answer == "3.5");
  CHECK_THAT(dataset->fingerprint(), Contains("sha256=") && Contains("items=3"));
}

TEST_CASE("malformed lines are reported with file and line number", "[data]") {
  const std::string ok = "{\"prompt\": \"a\", \"answer\": \"b\"}\n";
  CHECK_THAT(load_error(ok + "{\"prompt\": \"a\", \"answer\": }\n"), Contains(":2: not valid JSON"));
  CHECK_THAT(load_error(ok + ok + "[1, 2]\n"), Contains(":3: each line must be a JSON object, not array"));
  CHECK_THAT(load_error("{\"prompt\": \"a\"}\n"), Contains(":1: missing \"answer\""));
  CHECK_THAT(load_error("{\"answer\": \"a\"}\n"), Contains(":1: needs \"prompt\""));
  CHECK_THAT(load_error("{\"prompt\": \"a\", \"messages\": [], \"answer\": \"b\"}"), Contains("has both"));
  CHECK_THAT(load_error("{\"prompt\": 5, \"answer\": \"b\"}"), Contains("\"prompt\" must be a string, not number"));
  CHECK_THAT(load_error("{\"prompt\": \"\", \"answer\": \"b\"}"), Contains("\"prompt\" is empty"));
  CHECK_THAT(load_error("{\"prompt\": \"a\", \"answer\": [1]}"), Contains("\"answer\" must be a string or a number"));
  CHECK_THAT(load_error("{\"prompt\": \"a\", \"answer\": \"b\", \"id\": 1.5}"), Contains("\"id\" must be"));
  CHECK_THAT(load_error("\n\n{\"messages\": [{\"role\": \"user\"}], \"answer\": \"b\"}"),
             Contains(":3: messages[0]: missing \"content\""));
  CHECK_THAT(load_error("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, 7], \"answer\": \"b\"}"),
             Contains("messages[1]: must be an object"));
  CHECK_THAT(load_error("{\"messages\": {}, \"answer\": \"b\"}"), Contains("\"messages\" must be a list"));
  CHECK_THAT(load_error("{\"id\": \"x\", \"prompt\": \"a\", \"answer\": \"b\"}\n{\"id\": \"x\", \"prompt\": \"c\", "
                        "\"answer\": \"d\"}"),
             Contains(":2: id \"x\" repeats the id on line 1"));
  CHECK_THAT(load_error("\n  \n"), Contains("no prompts"));
  CHECK_THAT(load_error("{\"prompt\": \"\xff\", \"answer\": \"b\"}"), Contains(":1: not valid JSON"));
}

TEST_CASE("prompts over max_prompt_tokens are rejected at load", "[data]") {
  spct::data::JsonlOptions options;
  options.count_tokens = [](const spct::data::PromptItem& item) { return static_cast<int64_t>(item.prompt.size()); };
  options.max_prompt_tokens = 4;
  CHECK_THAT(
      load_error("{\"prompt\": \"1234\", \"answer\": \"b\"}\n{\"prompt\": \"12345\", \"answer\": \"b\"}", options),
      Contains(":2: prompt has 5 tokens, more than data.max_prompt_tokens = 4"));
}

TEST_CASE("a missing file names the path", "[data]") {
  CHECK_THROWS_WITH(JsonlDataset::load("/nonexistent/train.jsonl"),
                    Contains("/nonexistent/train.jsonl") && Contains("No such file"));
}

TEST_CASE("the config loads train and eval files", "[data]") {
  TempDir dir;
  spct::config::Config config;
  config.data.task = spct::config::DataTask::kNone;
  config.data.path = dir.write("train.jsonl", "{\"prompt\": \"a\", \"answer\": \"1\"}\n");
  auto sources = spct::data::make_prompt_sources(config);
  CHECK(sources.train->size() == 1);
  CHECK_FALSE(sources.eval);
  config.data.eval_path = dir.write("eval.jsonl",
                                    "{\"prompt\": \"b\", \"answer\": \"2\"}\n{\"prompt\": \"c\", "
                                    "\"answer\": \"3\"}\n");
  sources = spct::data::make_prompt_sources(config);
  REQUIRE(sources.eval);
  CHECK(sources.eval->size() == 2);

  // The token limit applies to the eval file too.
  config.data.max_prompt_tokens = 1;
  config.data.eval_path = dir.write("eval.jsonl", "{\"prompt\": \"bb\", \"answer\": \"2\"}\n");
  const spct::data::TokenCounter chars = [](const spct::data::PromptItem& item) {
    return static_cast<int64_t>(item.prompt.size());
  };
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config, chars), Contains("eval.jsonl:1: prompt has 2 tokens"));
}

TEST_CASE("the config's field names and answer extraction reach both files, and errors name them", "[data]") {
  TempDir dir;
  spct::config::Config config;
  config.data.task = spct::config::DataTask::kNone;
  config.data.prompt_field = "question";
  config.data.messages_field = "chat";
  config.data.answer_field = "solution";
  config.data.id_field = "uid";
  config.data.answer_extraction = spct::config::ReferenceExtraction::kGsm8k;
  config.data.path = dir.write("train.jsonl",
                               "{\"question\": \"3 eggs a day for 6 days?\", \"solution\": \"3*6=18\\n#### 18\", "
                               "\"uid\": \"q1\", \"prompt\": \"ignored: not the configured key\"}\n"
                               "{\"chat\": [{\"role\": \"user\", \"content\": \"1000+1?\"}], \"solution\": "
                               "\"#### 1,001\"}\n");
  config.data.eval_path = dir.write("eval.jsonl", "{\"question\": \"2+2?\", \"solution\": \"#### 4\"}\n");
  const auto sources = spct::data::make_prompt_sources(config);
  REQUIRE(sources.train->size() == 2);
  CHECK(sources.train->at(0).prompt == "3 eggs a day for 6 days?");
  CHECK(sources.train->at(0).answer == "18");
  CHECK(sources.train->at(0).id == "q1");
  CHECK(sources.train->at(1).is_chat());
  CHECK(sources.train->at(1).answer == "1001");
  CHECK(sources.train->at(1).id == "line-2");
  REQUIRE(sources.eval);
  CHECK(sources.eval->at(0).answer == "4");

  // A worked solution without "####", and an item under the default key names: file, line and the field.
  config.data.eval_path = dir.write("eval.jsonl",
                                    "{\"question\": \"a\", \"solution\": \"#### 1\"}\n"
                                    "{\"question\": \"b\", \"solution\": \"so it is 2\"}\n");
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config),
                    Contains("eval.jsonl:2: \"solution\" has no final answer to extract (no \"#### <answer>\")"));
  config.data.eval_path = dir.write("eval.jsonl", "{\"prompt\": \"a\", \"answer\": \"1\"}\n");
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config),
                    Contains("eval.jsonl:1: needs \"question\" (text) or \"chat\" (chat turns)"));
  config.data.eval_path.clear();
  config.data.answer_extraction = spct::config::ReferenceExtraction::kBoxed;
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config),
                    Contains("train.jsonl:1: \"solution\" has no final answer to extract (no \\boxed{...})"));
}
