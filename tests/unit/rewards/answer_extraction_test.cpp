#include "workers/reward/rules/answer_extraction.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using spct::reward::AnswerFormat;
using spct::reward::extract_answer;
using spct::reward::normalize_answer;

TEST_CASE("a line answer ends at the first newline or stop string", "[rewards]") {
  CHECK(extract_answer("19\nmore text", AnswerFormat::kLine, {}) == "19");
  CHECK(extract_answer("19", AnswerFormat::kLine, {}) == "19");
  CHECK(extract_answer("cba</s>junk\n", AnswerFormat::kLine, {"</s>"}) == "cba");
  CHECK(extract_answer("12;3\n", AnswerFormat::kLine, {"", ";", "\n\n"}) == "12");
  CHECK(extract_answer("\n19", AnswerFormat::kLine, {}) == "");
}

TEST_CASE("a boxed answer is the last complete boxed expression, with balanced braces", "[rewards]") {
  CHECK(extract_answer("so \\boxed{12} wait, \\boxed{13}.", AnswerFormat::kBoxed, {}) == "13");
  CHECK(extract_answer("\\boxed{\\frac{3}{4}}", AnswerFormat::kBoxed, {}) == "\\frac{3}{4}");
  // A final box cut off by max_new_tokens falls back to the last complete one.
  CHECK(extract_answer("\\boxed{7} then \\boxed{8", AnswerFormat::kBoxed, {}) == "7");
  CHECK_FALSE(extract_answer("the answer is 7", AnswerFormat::kBoxed, {}).has_value());
  CHECK_FALSE(extract_answer("\\boxed{", AnswerFormat::kBoxed, {}).has_value());
}

TEST_CASE("normalising trims, collapses whitespace and optionally folds case", "[rewards]") {
  CHECK(normalize_answer("  Hello \t  World \n", {true, true}) == "Hello World");
  CHECK(normalize_answer("  Hello \t  World \n", {false, true}) == "hello world");
  CHECK(normalize_answer(" A ", {false, false}) == " a ");
  CHECK(normalize_answer("\xc3\x89t\xc3\xa9", {false, true}) == "\xc3\x89t\xc3\xa9");
}
