#include "workers/reward/grm/score_parser.h"

#include <catch2/catch.hpp>
#include <string>

using namespace spct::grm;

namespace {
const ScoreSpec kTwo{2, 1, 10};
}  // namespace

TEST_CASE("the last boxed scores are taken, markdown around them ignored", "[grm][parser]") {
  const std::string text =
      "Specific Criteria: accuracy (60%), clarity (40%).\n"
      "Analysis: Response 1 restates \\boxed{3, 3} from the query; Response 2 is exact.\n"
      "### Output:\n**Scores:** $\\boxed{ 6 ,9 }$ \n\nThat is all.";
  const ParsedScores parsed = parse_scores(text, kTwo);
  REQUIRE(parsed.ok());
  CHECK(parsed.scores == std::vector<int>{6, 9});
  CHECK(parsed.box_offset == text.rfind("\\boxed{"));
  CHECK(parsed.reason.empty());
}

TEST_CASE("whitespace, newlines and one trailing comma are tolerated", "[grm][parser]") {
  CHECK(parse_scores("\\boxed{8,8}", kTwo).scores == std::vector<int>{8, 8});
  CHECK(parse_scores("\\boxed{\n 10,\t1 ,\n}", kTwo).scores == std::vector<int>{10, 1});
  CHECK(parse_scores("Scores: \\boxed{7}", ScoreSpec{1, 1, 10}).scores == std::vector<int>{7});
  CHECK(parse_scores("\\boxed{0}", ScoreSpec{1, 0, 1}).scores == std::vector<int>{0});
  CHECK(parse_scores("\\boxed{010, 2}", kTwo).scores == std::vector<int>{10, 2});
  // A box inside a box: the inner one is the last to begin, so it is the one read.
  CHECK(parse_scores("\\boxed{\\boxed{8, 9}}", kTwo).scores == std::vector<int>{8, 9});
}

TEST_CASE("each kind of malformed box is a failure value with a located reason", "[grm][parser]") {
  struct Case {
    std::string text;
    ParseStatus status;
    std::string reason_part;
  };
  const std::vector<Case> cases = {
      {"Scores: 8, 9", ParseStatus::kNoBoxed, "no \\boxed"},
      {"", ParseStatus::kNoBoxed, "no \\boxed"},
      {"Scores: \\boxed{8, 9", ParseStatus::kUnterminated, "offset 8 is never closed"},
      {"\\boxed{  }", ParseStatus::kEmpty, "empty"},
      {"\\boxed{8.5, 9}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{8, nine}", ParseStatus::kNotInteger, "\"nine\""},
      {"\\boxed{-3, 9}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{8,,9}", ParseStatus::kNotInteger, "item 2"},
      {"\\boxed{,}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{8, 9,,}", ParseStatus::kNotInteger, "item 3"},
      {"\\boxed{**8**, 9}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{8 9}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{1234567890, 9}", ParseStatus::kNotInteger, "item 1"},
      {"\\boxed{8, 9, 7}", ParseStatus::kWrongCount, "holds 3 scores, expected 2"},
      {"\\boxed{8}", ParseStatus::kWrongCount, "holds 1 scores, expected 2"},
      {"\\boxed{11, 9}", ParseStatus::kOutOfRange, "score 1 (11) at offset 7 is outside 1..10"},
      {"\\boxed{0, 9}", ParseStatus::kOutOfRange, "outside 1..10"},
      {"good \\boxed{8, 9} then \\boxed{8}", ParseStatus::kWrongCount, "expected 2"},
      {"\\boxed{{8}, 9}", ParseStatus::kNotInteger, "item 1"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const ParsedScores parsed = parse_scores(c.text, kTwo);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status == c.status);
    CHECK(parsed.scores.empty());
    CHECK_THAT(parsed.reason, Catch::Matchers::Contains(c.reason_part));
  }
}

TEST_CASE("nested braces are balanced when locating the box", "[grm][parser]") {
  ParseStatus status = ParseStatus::kOk;
  size_t offset = 99;
  CHECK(last_boxed_content("x \\boxed{a{b}c} y", &status, &offset) == "a{b}c");
  CHECK(status == ParseStatus::kOk);
  CHECK(offset == 2);
  CHECK(last_boxed_content("\\boxed{{{{", &status, &offset).empty());
  CHECK(status == ParseStatus::kUnterminated);
  // Thousands of unmatched opening braces: linear scan, no recursion, no crash.
  const std::string deep = "\\boxed{" + std::string(100000, '{');
  CHECK(parse_scores(deep, kTwo).status == ParseStatus::kUnterminated);
}

TEST_CASE("reasons quote at most a short excerpt of a hostile item", "[grm][parser]") {
  const std::string text = "\\boxed{" + std::string(5000, 'x') + ", 3}";
  const ParsedScores parsed = parse_scores(text, kTwo);
  CHECK(parsed.status == ParseStatus::kNotInteger);
  CHECK(parsed.reason.size() < 200);
}

TEST_CASE("status names are stable metric keys", "[grm][parser]") {
  CHECK(std::string(parse_status_name(ParseStatus::kOk)) == "ok");
  CHECK(std::string(parse_status_name(ParseStatus::kNoBoxed)) == "no_boxed");
  CHECK(std::string(parse_status_name(ParseStatus::kOutOfRange)) == "out_of_range");
  CHECK(std::string(parse_status_name(ParseStatus::kWrongCount)) == "wrong_count");
}
