#include <catch2/catch.hpp>
#include <chrono>

#include "core/error.h"
#include "workers/reward/rules/exact_match.h"
#include "workers/reward/rules/numeric_match.h"
#include "workers/reward/rules/overlong_penalty.h"
#include "workers/reward/rules/pattern_rewards.h"

using Catch::Matchers::Contains;
using namespace spct::reward;

namespace {

RewardInput sample(std::string_view completion, std::string_view reference = "", int64_t tokens = 0,
                   bool truncated = false) {
  return {"prompt", completion, reference, tokens, truncated};
}

}  // namespace

TEST_CASE("exact_match compares the extracted answer with the reference", "[rewards]") {
  const ExactMatch strict(AnswerFormat::kLine, {}, {true, false});
  CHECK(strict.score(sample("19\n", "19")) == 1.0);
  CHECK(strict.score(sample("19 \n", "19")) == 0.0);
  CHECK(strict.score(sample("18\n", "19")) == 0.0);

  const ExactMatch loose(AnswerFormat::kLine, {"."}, {false, true});
  CHECK(loose.score(sample(" Paris . It is", "paris")) == 1.0);
  CHECK(loose.score(sample("Lyon", "paris")) == 0.0);

  const ExactMatch boxed(AnswerFormat::kBoxed, {}, {true, true});
  CHECK(boxed.score(sample("think... \\boxed{ 42 }", "42")) == 1.0);
  CHECK(boxed.score(sample("42", "42")) == 0.0);
}

TEST_CASE("numeric_match accepts equal numbers within tolerance", "[rewards]") {
  const NumericMatch match(AnswerFormat::kLine, {}, {1e-6, 1e-9});
  CHECK(match.score(sample("1,000\n", "1000")) == 1.0);
  CHECK(match.score(sample("1e3", "1,000")) == 1.0);
  CHECK(match.score(sample("0.75", "3/4")) == 1.0);
  CHECK(match.score(sample("The answer is 19.", "19")) == 1.0);
  CHECK(match.score(sample("1000.01", "1000")) == 0.0);
  CHECK(match.score(sample("1000.0000001", "1000")) == 1.0);
  CHECK(match.score(sample("no idea", "19")) == 0.0);

  const NumericMatch absolute(AnswerFormat::kBoxed, {}, {0, 0.01});
  CHECK(absolute.score(sample("\\boxed{3.141}", "3.14")) == 1.0);
  CHECK(absolute.score(sample("\\boxed{3.16}", "3.14")) == 0.0);
  CHECK(absolute.score(sample("3.14", "3.14")) == 0.0);  // no box, no answer
}

TEST_CASE("numeric_match with a non-numeric reference is a dataset error", "[rewards]") {
  const NumericMatch match(AnswerFormat::kLine, {}, {});
  CHECK_THROWS_AS(match.score(sample("19", "nineteen")), spct::InputError);
  CHECK_THROWS_WITH(match.score(sample("19", "nineteen")), Contains("nineteen") && Contains("numeric_match"));
}

TEST_CASE("regex matches anywhere, format must match the whole completion", "[rewards]") {
  const RegexReward regex("answer: [0-9]+", "reward.regex");
  CHECK(regex.score(sample("so, answer: 12 ok")) == 1.0);
  CHECK(regex.score(sample("answer: twelve")) == 0.0);

  const FormatReward format("<think>.*</think>.*", "reward.format_pattern");
  CHECK(format.score(sample("<think>a\nb</think>\n19")) == 1.0);
  CHECK(format.score(sample("19 <think>a</think>")) == 0.0);
  CHECK(format.score(sample("<think>never closed")) == 0.0);

  const FormatReward digits("[0-9]+\\n?", "reward.format_pattern");
  CHECK(digits.score(sample("19\n")) == 1.0);
  CHECK(digits.score(sample("19x")) == 0.0);
  // A completion cut inside a UTF-8 sequence is scored, not rejected.
  CHECK(digits.score(sample("1\xc3")) == 0.0);
  CHECK(regex.score(sample("\xff\xfe answer: 3")) == 1.0);
  // An empty completion, including a default (null) view, is scored like any other.
  CHECK(FormatReward("x*", "reward.format_pattern").score(RewardInput{}) == 1.0);
  CHECK(regex.score(RewardInput{}) == 0.0);
}

TEST_CASE("a bad pattern is a usage error naming the key and the offset", "[rewards]") {
  CHECK_THROWS_AS(RegexReward("a(b", "reward.regex"), spct::UsageError);
  CHECK_THROWS_WITH(RegexReward("a(b", "reward.regex"),
                    Contains("reward.regex") && Contains("offset 3") && Contains("missing closing parenthesis"));
  CHECK_THROWS_WITH(FormatReward("x[", "reward.format_pattern"),
                    Contains("reward.format_pattern") && Contains("offset 2"));
  CHECK_THROWS_WITH(FormatReward("", "reward.format_pattern"), Contains("reward.format_pattern is empty"));
}

TEST_CASE("catastrophic backtracking ends as no match, not a hang", "[rewards]") {
  const RegexReward evil("^(a+)+$", "reward.regex");
  const std::string subject = std::string(40, 'a') + "b";
  const auto start = std::chrono::steady_clock::now();
  CHECK(evil.score(sample(subject)) == 0.0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("overlong shaping follows DAPO's ramp", "[rewards]") {
  const OverlongPenalty penalty(8, 4);  // L_max = 8, L_cache = 4: free up to 4 tokens
  CHECK(penalty.score(sample("", "", 0)) == 0.0);
  CHECK(penalty.score(sample("", "", 4)) == 0.0);
  CHECK(penalty.score(sample("", "", 5)) == Approx(-0.25));
  CHECK(penalty.score(sample("", "", 7)) == Approx(-0.75));
  CHECK(penalty.score(sample("", "", 8)) == Approx(-1.0));
  CHECK(penalty.score(sample("", "", 9)) == -1.0);
  CHECK(penalty.score(sample("", "", 3, true)) == -1.0);

  const OverlongPenalty whole(4, 4);
  CHECK(whole.score(sample("", "", 1)) == Approx(-0.25));

  CHECK_THROWS_WITH(OverlongPenalty(8, 9), Contains("reward.overlong_buffer") && Contains("rollout.max_new_tokens"));
  CHECK_THROWS_AS(OverlongPenalty(8, 0), spct::UsageError);
}
