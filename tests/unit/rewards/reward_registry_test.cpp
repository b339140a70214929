#include "workers/reward/rules/reward_registry.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "workers/reward/external/command_reward.h"
#include "workers/reward/external/external_reward.h"

using Catch::Matchers::Contains;
using spct::reward::parse_external_spec;

TEST_CASE("every rule reward registers itself and an unknown name lists them", "[rewards]") {
  const std::vector<std::string> names = spct::reward::registered_rewards();
  for (const char* rule :
       {"exact_match", "numeric_match", "math_match", "regex", "format", "overlong", "grm_correct", "grm_parsed"}) {
    CHECK(std::find(names.begin(), names.end(), rule) != names.end());
  }
  const spct::reward::RuleOptions options;
  CHECK(spct::reward::make_rule_reward("exact_match", options) != nullptr);
  CHECK_THROWS_WITH(spct::reward::make_rule_reward("bleu", options),
                    Contains("reward.functions") && Contains("\"bleu\"") && Contains("exact_match, format") &&
                        Contains("NAME=command:"));
}

TEST_CASE("external reward specs parse with their options, and bad ones are named", "[rewards]") {
  CHECK_FALSE(parse_external_spec("exact_match").has_value());
  const auto command = parse_external_spec("math=command:python3 a.py --x 1;timeout_s=2.5; retries=0");
  REQUIRE(command.has_value());
  CHECK(command->name == "math");
  CHECK(command->kind == "command");
  CHECK(command->target == "python3 a.py --x 1");
  CHECK(command->options.timeout_s == 2.5);
  CHECK(command->options.retries == 0);
  CHECK(command->options.max_restarts == spct::reward::ExternalOptions{}.max_restarts);

  const auto http = parse_external_spec("rm=http:http://127.0.0.1:8000/reward;concurrency=2;max_dropped_share=0");
  REQUIRE(http.has_value());
  CHECK(http->target == "http://127.0.0.1:8000/reward");
  CHECK(http->options.concurrency == 2);
  CHECK(http->options.max_dropped_share == 0);

  // A scalar reward model: the reward worker loads it (scalar_rm/scalar_reward.h), not make_external_reward.
  const auto scalar = parse_external_spec("rm=scalar:runs/scalar_rm/model");
  REQUIRE(scalar.has_value());
  CHECK(scalar->kind == "scalar");
  CHECK(scalar->target == "runs/scalar_rm/model");
  CHECK_THROWS_WITH(parse_external_spec("rm=scalar: "), Contains("the model directory is empty"));
  CHECK_THROWS_WITH(spct::reward::make_external_reward(*scalar), Contains("loaded by the reward worker"));

  CHECK_THROWS_WITH(parse_external_spec("m=shell:ls"),
                    Contains("unknown reward kind \"shell\"") && Contains("command, http or scalar"));
  CHECK_THROWS_WITH(parse_external_spec("=command:ls"), Contains("no NAME"));
  CHECK_THROWS_WITH(parse_external_spec("m=command: ;retries=1"), Contains("the command is empty"));
  CHECK_THROWS_WITH(parse_external_spec("m=command:ls;timeout=3"), Contains("unknown option \"timeout\""));
  CHECK_THROWS_WITH(parse_external_spec("m=command:ls;retries=-1"), Contains("retries=-1"));
  CHECK_THROWS_WITH(parse_external_spec("m=command:ls;timeout_s"), Contains("not key=value"));
  CHECK_THROWS_WITH(spct::reward::make_external_reward(*parse_external_spec("m=http:ftp://x")),
                    Contains("http reward URL"));
}

TEST_CASE("a command reward answers over JSON lines, and a bad answer names the line and restarts it", "[rewards]") {
  const std::vector<std::string> completions = {"a", "b"};
  const spct::reward::ExternalGroup group{"p", &completions, "x", 0, 0, {1, 1}, {false, false}};
  spct::reward::ExternalOptions options;
  options.timeout_s = 60;  // generous: a loaded machine; the deadline case is the e2e hang test

  spct::reward::CommandReward good("g", R"(sed -u 's/.*/{"scores": [1, 0.5]}/')", options);
  CHECK(good.score(group).scores == std::vector<double>{1.0, 0.5});
  CHECK(good.score(group).info.empty());
  CHECK(good.starts() == 1);

  // An "info" list comes back as compact JSON per completion, a null entry as ""; one of the wrong length is a
  // bad answer like a wrong score count.
  spct::reward::CommandReward with_info(
      "i", R"(sed -u 's/.*/{"scores": [1, 0], "info": [{"extracted": "4", "n": [1, 2]}, null]}/')", options);
  const spct::reward::ExternalScores answered = with_info.score(group);
  CHECK(answered.scores == std::vector<double>{1.0, 0.0});
  CHECK(answered.info == std::vector<std::string>{R"({"extracted":"4","n":[1,2]})", ""});
  spct::reward::CommandReward short_info("s", R"(sed -u 's/.*/{"scores": [1, 0], "info": [1]}/')", options);
  CHECK_THROWS_WITH(short_info.score(group), Contains("\"info\" that is not a list of one entry per completion"));

  // cat answers with the request itself: valid JSON, but no scores.
  spct::reward::CommandReward echo("e", "cat", options);
  CHECK_THROWS_WITH(echo.score(group), Contains("reward e (command \"cat\")") &&
                                           Contains("not an object with a \"scores\" list") &&
                                           Contains("\"completions\":[\"a\",\"b\"]"));
  CHECK_THROWS_AS(echo.score(group), spct::reward::RewardFailure);
  CHECK(echo.starts() == 2);  // restarted after the bad line

  spct::reward::CommandReward wrong_count("w", R"(sed -u 's/.*/{"scores": [1]}/')", options);
  CHECK_THROWS_WITH(wrong_count.score(group), Contains("holding 1 scores for 2 completions"));

  options.max_restarts = 1;
  spct::reward::CommandReward missing("m", "/nonexistent/reward-program", options);
  CHECK_THROWS_WITH(missing.score(group), Contains("exited with status 127"));
  CHECK_THROWS_WITH(missing.score(group), Contains("exited with status 127"));
  CHECK_THROWS_WITH(missing.score(group), Contains("restarted 1 times in a row") && Contains("status 127"));
  CHECK(missing.starts() == 2);
}
