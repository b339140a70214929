#include "workers/reward/rules/combined_reward.h"

#include <catch2/catch.hpp>
#include <thread>

#include "core/error.h"

using Catch::Matchers::Contains;
using spct::reward::CombinedReward;
using spct::reward::RewardInput;
using spct::reward::RuleOptions;

namespace {

// The functions and weights of reward.functions and reward.weights, with their rule options.
struct RewardConfig {
  std::vector<std::string> functions;
  std::vector<double> weights;
  RuleOptions options;

  CombinedReward make() const { return CombinedReward::make(functions, weights, options); }
};

RewardConfig reward_config(std::vector<std::string> functions, std::vector<double> weights = {}) {
  RewardConfig config{std::move(functions), std::move(weights), {}};
  config.options.max_new_tokens = 8;
  config.options.overlong_buffer = 4;
  config.options.format_pattern = "[0-9]+\\n";
  config.options.regex = "^[0-9]";
  return config;
}

}  // namespace

TEST_CASE("the combined reward sums weighted scores and reports each one", "[rewards]") {
  const auto reward = reward_config({"exact_match", "format", "overlong", "regex"}, {1.0, 0.5, 1.0, 0.25}).make();
  CHECK(reward.names() == std::vector<std::string>{"exact_match", "format", "overlong", "regex"});

  const auto right = reward.score(RewardInput{"3+4=", "7\n", "7", 2, false});
  CHECK(right.per_function == std::vector<double>{1.0, 1.0, 0.0, 1.0});
  CHECK(right.total == Approx(1.75));

  const auto rambling = reward.score(RewardInput{"3+4=", "8 is it", "7", 8, true});
  CHECK(rambling.per_function == std::vector<double>{0.0, 0.0, -1.0, 1.0});
  CHECK(rambling.total == Approx(-0.75));
}

TEST_CASE("empty weights give every function weight one", "[rewards]") {
  const auto reward = reward_config({"numeric_match", "exact_match"}).make();
  CHECK(reward.weights() == std::vector<double>{1.0, 1.0});
  const auto scores = reward.score(RewardInput{"", "1,000\n", "1000", 3, false});
  CHECK(scores.per_function == std::vector<double>{1.0, 0.0});
  CHECK(scores.total == 1.0);
}

TEST_CASE("the config's answer format and stop strings reach the matchers", "[rewards]") {
  auto config = reward_config({"exact_match"});
  config.options.stop = {"</a>"};
  config.options.case_sensitive = false;
  CHECK(config.make().score(RewardInput{"", "CBA</a>", "cba", 4, false}).total == 1.0);
  config.options.answer_format = spct::config::AnswerFormat::kBoxed;
  CHECK(config.make().score(RewardInput{"", "CBA</a>", "cba", 4, false}).total == 0.0);
  CHECK(config.make().score(RewardInput{"", "\\boxed{Cba}", "cba", 4, false}).total == 1.0);
}

TEST_CASE("config mistakes are usage errors naming the key", "[rewards]") {
  auto config = reward_config({"regex"});
  config.options.regex = "(?<name";
  CHECK_THROWS_WITH(config.make(), Contains("reward.regex") && Contains("offset"));

  CHECK_THROWS_WITH(reward_config({"exact_match", "format"}, {1.0}).make(),
                    Contains("reward.weights has 1 entries but reward.functions has 2"));
  CHECK_THROWS_WITH(reward_config({"exact_match", "exact_match"}).make(), Contains("twice"));
  CHECK_THROWS_WITH(reward_config({"bleu"}).make(), Contains("unknown reward function"));
  CHECK_THROWS_AS(reward_config({}).make(), spct::UsageError);

  auto no_pattern = reward_config({"format"});
  no_pattern.options.format_pattern = "";
  CHECK_THROWS_WITH(no_pattern.make(), Contains("reward.format_pattern is empty"));

  auto long_buffer = reward_config({"overlong"});
  long_buffer.options.overlong_buffer = 9;
  CHECK_THROWS_WITH(long_buffer.make(), Contains("reward.overlong_buffer (9)"));
}

TEST_CASE("one combined reward scores from several threads at once", "[rewards]") {
  const auto reward = reward_config({"exact_match", "format", "regex"}).make();
  std::vector<double> totals(4, 0.0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < totals.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string answer = std::to_string(i % 10);
        totals[t] += reward.score(RewardInput{"", answer + "\n", "3", 1, false}).total;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Per 10 samples: exact_match once, format and regex all ten times.
  for (const double total : totals) CHECK(total == Approx(200 * (1 + 10 + 10)));
}
