#include "workers/reward/grm/preference_data.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/error.h"

using namespace spct::grm;
using Catch::Matchers::Contains;

namespace {

// A JSONL file in a fresh temporary directory, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    dir_ = std::filesystem::temp_directory_path() /
           ("spct-grm-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "items.jsonl").string();
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace

TEST_CASE("RewardBench pairs and listwise items load from a JSONL file", "[grm][data]") {
  const TempFile file(
      R"({"prompt": "Say hi", "chosen": "Hi!", "rejected": "No.", "subset": "alpacaeval-easy", "id": 7})"
      "\n\n"
      R"({"query": "2+2?", "responses": ["5", "4", "22"], "best": 1})"
      "\n"
      R"({"query": "Is 9 prime?", "responses": ["No, 9 = 3 x 3."], "label": 1, "subset": "math"})"
      "\n");
  const std::vector<PreferenceItem> items = load_preference_jsonl(file.path());
  REQUIRE(items.size() == 3);
  CHECK(items[0].query == "Say hi");
  CHECK(items[0].responses == std::vector<std::string>{"Hi!", "No."});
  CHECK(items[0].truth == 0);
  CHECK(items[0].subset == "alpacaeval-easy");
  CHECK(items[0].where == file.path() + ":1");
  CHECK(items[1].responses.size() == 3);
  CHECK(items[1].truth == 1);
  CHECK(items[1].subset.empty());
  CHECK(items[1].where == file.path() + ":3");
  CHECK(items[2].truth == 1);
  CHECK(items[2].subset == "math");
}

TEST_CASE("malformed lines are input errors naming file, line and key", "[grm][data]") {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"prompt": "p", "chosen": "c"})", "missing key \"rejected\""},
      {R"({"prompt": "p", "chosen": 3, "rejected": "r"})", "key \"chosen\" must be a string, not number"},
      {R"({"query": "q", "responses": ["a", "b"], "best": 2})", "key \"best\" (2) must index the 2 responses"},
      {R"({"query": "q", "responses": ["a", "b"], "best": "1"})", "key \"best\" must be an integer"},
      {R"({"query": "q", "responses": ["a", "b"]})", "missing key \"best\""},
      {R"({"query": "q", "responses": []})", "non-empty array"},
      {R"({"query": "q", "responses": ["a", 2], "best": 0})", "responses[1] must be a string"},
      {R"({"query": "q", "responses": ["a"], "label": 3})", "must be 0 or 1"},
      {R"({"query": "q", "responses": ["a", "b"], "best": 0, "subset": 4})", "key \"subset\" must be a string"},
      {R"({"text": "q"})", "neither a pair"},
      {R"(["a", "b"])", "expected a JSON object, found array"},
      {R"({"prompt": "p", "chosen": "c", )", "not valid JSON at column"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    const TempFile file(R"({"prompt": "ok", "chosen": "a", "rejected": "b"})"
                        "\n" +
                        c.line + "\n");
    CHECK_THROWS_AS(load_preference_jsonl(file.path()), spct::InputError);
    CHECK_THROWS_WITH(load_preference_jsonl(file.path()), Contains(file.path() + ":2: ") && Contains(c.message));
  }
  CHECK_THROWS_WITH(load_preference_jsonl("/nonexistent/dir/items.jsonl"),
                    Contains("/nonexistent/dir/items.jsonl: cannot open"));
  CHECK(parse_preference_jsonl("", "empty").empty());
}
