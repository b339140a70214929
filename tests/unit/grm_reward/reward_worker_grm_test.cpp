// The `grm` reward through the reward worker: the paper's worked voting example, meta-RM selection, the
// combination with rule rewards, parse fallbacks and metrics, and the critiques and info kept for the rollout
// log. The GRM is a scripted sampler; everything after it (prompt rendering, shuffles, parsing, voting, scaling,
// combination) is the real code.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "core/error.h"
#include "grm_test_support.h"
#include "workers/reward/reward_worker.h"
#include "workers/reward/rollout_notes.h"

using namespace spct;
using namespace spct::reward;
using namespace spct::reward::testing;

namespace {

const std::vector<std::string> kPaperResponses = {"3+4 is 7", "3+4 is 8"};

config::Config grm_config(std::vector<std::string> functions = {"grm"}) {
  config::Config config;
  config.run.seed = 5;
  config.reward.functions = std::move(functions);
  config.grm.samples = 3;
  config.grm.temperature = 0.5;
  return config;
}

// Writes, for sample s (its index in the batch), the scores table[s] (given in the group's original order)
// in the order the prompt shows the responses.
std::function<std::string(const std::string&, size_t)> scores_in_original_order(std::vector<std::string> responses,
                                                                                std::vector<std::vector<int>> table) {
  return [responses = std::move(responses), table = std::move(table)](const std::string& prompt, size_t s) {
    std::vector<int> shown_scores;
    for (const std::string& shown : shown_responses(prompt)) {
      const auto at = std::find(responses.begin(), responses.end(), shown) - responses.begin();
      shown_scores.push_back(table.at(s).at(static_cast<size_t>(at)));
    }
    return critique_with_scores(shown_scores);
  };
}

std::map<std::string, double> metrics_of(const protocol::RewardResult& result) {
  return {result.metrics.begin(), result.metrics.end()};
}

// The paper's example needs sample 1 to see the responses in order and samples 2 and 3 reversed. Shuffles
// come from (run.seed, step, prompt id): the first prompt id whose critiques read exactly like the paper's.
uint64_t prompt_id_with_paper_orders(const config::Config& config, const tokenizer::CharTokenizer& tokenizer) {
  const std::vector<std::string> paper = {critique_with_scores({8, 8}), critique_with_scores({9, 5}),
                                          critique_with_scores({10, 7})};
  for (uint64_t id = 0; id < 256; ++id) {
    std::vector<std::string> written;
    GrmBackends backends;
    backends.sampler = std::make_unique<ScriptedSampler>(
        scores_in_original_order(kPaperResponses, {{8, 8}, {5, 9}, {7, 10}}), &written);
    const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));
    worker.score(request_for("3+4=", kPaperResponses, "7", 0, id));
    if (written == paper) return id;
  }
  FAIL("no prompt id in 0..255 shows the paper's response orders");
  return 0;
}

}  // namespace

TEST_CASE("the paper's worked voting example through the reward path: R1 = 20, R2 = 27", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  const config::Config config = grm_config();
  const uint64_t id = prompt_id_with_paper_orders(config, tokenizer);

  std::vector<std::string> written;
  GrmBackends backends;
  auto sampler =
      std::make_unique<ScriptedSampler>(scores_in_original_order(kPaperResponses, {{8, 8}, {5, 9}, {7, 10}}), &written);
  const auto calls = sampler->calls_;
  const auto temperature = sampler->temperature_;
  backends.sampler = std::move(sampler);
  const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));
  const protocol::RewardResult result = worker.score(request_for("3+4=", kPaperResponses, "7", 0, id));

  // \boxed{8,8}; \boxed{9,5} reversed; \boxed{10,7} reversed -> R1 = 8+5+7 = 20, R2 = 8+9+10 = 27, as mean
  // scores 20/3 and 9 on 1..10 scaled to [0, 1].
  CHECK(written == std::vector<std::string>{critique_with_scores({8, 8}), critique_with_scores({9, 5}),
                                            critique_with_scores({10, 7})});
  CHECK(*calls == 1);
  CHECK(*temperature == 0.5);
  REQUIRE(result.rewards.size() == 2);
  CHECK(result.rewards[0] == Approx((20.0 / 3 - 1) / 9));
  CHECK(result.rewards[1] == Approx((27.0 / 3 - 1) / 9));
  REQUIRE(result.breakdown.size() == 1);
  CHECK(result.breakdown[0].name == "grm");
  CHECK(result.breakdown[0].values == result.rewards);
  CHECK(result.step == 0);
  CHECK(result.prompt_id == id);
  const auto metrics = metrics_of(result);
  CHECK(metrics.at("grm/critiques") == 3);
  CHECK(metrics.at("grm/parse_failures") == 0);
  CHECK(metrics.at("grm/vote_failures") == 0);
  CHECK(metrics.at("grm/time_s") >= 0);
  CHECK(metrics.count("grm/critique_tokens") == 0);  // no token counter given
}

TEST_CASE("meta-RM guided voting keeps the critiques the meta RM trusts: samples 2 and 3 of the example",
          "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  config::Config config = grm_config();
  config.grm.meta_samples = 2;
  const uint64_t id = prompt_id_with_paper_orders(config, tokenizer);

  GrmBackends backends;
  backends.sampler =
      std::make_unique<ScriptedSampler>(scores_in_original_order(kPaperResponses, {{8, 8}, {5, 9}, {7, 10}}));
  backends.rater = std::make_unique<FixedRater>(std::vector<double>{-15.7781, 1.3126, 1.6739});
  const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));
  const protocol::RewardResult result = worker.score(request_for("3+4=", kPaperResponses, "7", 0, id));

  // Only samples 2 and 3 vote: R1 = 5 + 7 = 12, R2 = 9 + 10 = 19, as means over 2 voters.
  REQUIRE(result.rewards.size() == 2);
  CHECK(result.rewards[0] == Approx((12.0 / 2 - 1) / 9));
  CHECK(result.rewards[1] == Approx((19.0 / 2 - 1) / 9));

  // The default k_meta is k / 2 = 1: only sample 3 (rated highest) votes.
  config.grm.meta_samples = 0;
  GrmBackends one;
  one.sampler = std::make_unique<ScriptedSampler>(scores_in_original_order(kPaperResponses, {{8, 8}, {5, 9}, {7, 10}}));
  one.rater = std::make_unique<FixedRater>(std::vector<double>{-15.7781, 1.3126, 1.6739});
  const protocol::RewardResult top1 = RewardWorker(reward_worker_options(config), tokenizer, std::move(one))
                                          .score(request_for("3+4=", kPaperResponses, "7", 0, id));
  CHECK(top1.rewards[0] == Approx((7.0 - 1) / 9));
  CHECK(top1.rewards[1] == Approx((10.0 - 1) / 9));
}

TEST_CASE("grm combines with rule rewards: rule_weight without reward.weights, a weighted sum with them",
          "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  // Two responses, one right; every critique gives the right one 10 and the other 1, so grm = {1, 0}.
  const std::vector<std::string> responses = {"7", "8"};
  const auto right_gets_ten = [responses](const std::string& prompt, size_t) {
    std::vector<int> shown_scores;
    for (const std::string& shown : shown_responses(prompt)) shown_scores.push_back(shown == "7" ? 10 : 1);
    return critique_with_scores(shown_scores);
  };
  // grm scores {1, 0}; exact_match {1, 0} against "7"; `format` (a digit then nothing) {1, 1}.
  auto score_with = [&](config::Config config) {
    config.reward.format_pattern = "^[0-9]$";
    GrmBackends backends;
    backends.sampler = std::make_unique<ScriptedSampler>(right_gets_ten);
    return RewardWorker(reward_worker_options(config), tokenizer, std::move(backends))
        .score(request_for("3+4=", responses, "7", 2, 9));
  };

  SECTION("default rule_weight 0: the GRM alone, the verifier still reported") {
    const auto result = score_with(grm_config({"exact_match", "grm"}));
    CHECK(result.rewards == std::vector<double>{1.0, 0.0});
    REQUIRE(result.breakdown.size() == 2);
    CHECK(result.breakdown[0].name == "exact_match");
    CHECK(result.breakdown[0].values == std::vector<double>{1.0, 0.0});
    CHECK(result.breakdown[1].name == "grm");
    CHECK(result.breakdown[1].values == std::vector<double>{1.0, 0.0});
  }
  SECTION("rule_weight mixes the GRM with the sum of the rules") {
    config::Config config = grm_config({"grm", "exact_match", "format"});
    config.grm.rule_weight = 0.25;
    const auto result = score_with(config);
    // 0.75 x grm + 0.25 x (exact_match + format)
    CHECK(result.rewards[0] == Approx(0.75 * 1 + 0.25 * (1 + 1)));
    CHECK(result.rewards[1] == Approx(0.75 * 0 + 0.25 * (0 + 1)));
    CHECK(result.breakdown[2].values == std::vector<double>{1.0, 1.0});
  }
  SECTION("reward.weights weigh every function, grm included") {
    config::Config config = grm_config({"format", "grm"});
    config.reward.weights = {0.5, 2.0};
    const auto result = score_with(config);
    CHECK(result.rewards[0] == Approx(0.5 * 1 + 2.0 * 1));
    CHECK(result.rewards[1] == Approx(0.5 * 1 + 2.0 * 0));
  }
  SECTION("without grm the worker is the plain rule reward and loads no GRM") {
    config::Config config = grm_config({"exact_match", "format"});
    config.reward.format_pattern = "^[0-9]$";
    const RewardWorker worker(reward_worker_options(config), tokenizer);
    const auto result = worker.score(request_for("3+4=", responses, "7", 2, 9));
    CHECK(result.rewards == std::vector<double>{2.0, 1.0});
    CHECK(result.metrics.empty());
  }
}

TEST_CASE("reward.overlong_shaping adds DAPO's overlong term, weight 1, after every listed function", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  // "7" is 1 token: no penalty; "888" is 3 tokens, inside the 2-token buffer below max_new_tokens 4: -0.5.
  const std::vector<std::string> responses = {"7", "888"};
  const auto right_gets_ten = [responses](const std::string& prompt, size_t) {
    std::vector<int> shown_scores;
    for (const std::string& shown : shown_responses(prompt)) shown_scores.push_back(shown == "7" ? 10 : 1);
    return critique_with_scores(shown_scores);
  };
  auto score_with = [&](config::Config config) {
    config.rollout.max_new_tokens = 4;
    config.reward.overlong_buffer = 2;
    config.reward.overlong_shaping = true;
    GrmBackends backends;
    backends.sampler = std::make_unique<ScriptedSampler>(right_gets_ten);
    return RewardWorker(reward_worker_options(config), tokenizer, std::move(backends))
        .score(request_for("3+4=", responses, "7", 1, 3));
  };
  const auto names = [](const protocol::RewardResult& result) {
    std::vector<std::string> out;
    for (const auto& component : result.breakdown) out.push_back(component.name);
    return out;
  };

  SECTION("next to grm with rule_weight 0 (rules weigh nothing) the shaping still weighs 1") {
    const auto result = score_with(grm_config({"exact_match", "grm"}));
    CHECK(names(result) == std::vector<std::string>{"exact_match", "grm", "overlong"});
    CHECK(result.breakdown[2].values == std::vector<double>{0.0, -0.5});
    CHECK(result.rewards == std::vector<double>{1.0, -0.5});  // grm {1, 0} + overlong
  }
  SECTION("with reward.weights it is one more term of weight 1") {
    config::Config config = grm_config({"exact_match"});
    config.reward.weights = {2.0};
    const auto result = score_with(config);
    CHECK(names(result) == std::vector<std::string>{"exact_match", "overlong"});
    CHECK(result.rewards == std::vector<double>{2.0, -0.5});
  }
  SECTION("a list that names overlong keeps its own term and weight, not a second one") {
    config::Config config = grm_config({"overlong", "exact_match"});
    config.reward.weights = {3.0, 1.0};
    const auto result = score_with(config);
    CHECK(names(result) == std::vector<std::string>{"overlong", "exact_match"});
    CHECK(result.rewards == std::vector<double>{1.0, -1.5});
  }
}

TEST_CASE("unparsable critiques follow grm.parse_fallback and are counted", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  const std::vector<std::string> responses = {"7", "8"};
  // Sample 0 rambles without a box; samples 1 and 2 give the right answer 10 and the other 4.
  const std::string rambling = "Analysis: I am not sure. Scores: 10 and 4";
  const auto writer = [rambling](const std::string& prompt, size_t s) {
    if (s == 0) return std::string(rambling);
    std::vector<int> shown_scores;
    for (const std::string& shown : shown_responses(prompt)) shown_scores.push_back(shown == "7" ? 10 : 4);
    return critique_with_scores(shown_scores);
  };
  auto score_with = [&](config::ParseFallback fallback) {
    config::Config config = grm_config();
    config.grm.parse_fallback = fallback;
    GrmBackends backends;
    backends.sampler = std::make_unique<ScriptedSampler>(writer);
    backends.count_tokens = [](std::string_view text) { return static_cast<int64_t>(text.size()); };
    return RewardWorker(reward_worker_options(config), tokenizer, std::move(backends))
        .score(request_for("3+4=", responses, "7", 1, 3));
  };

  SECTION("skip: the two parsable critiques vote") {
    const auto result = score_with(config::ParseFallback::kSkip);
    CHECK(result.rewards[0] == Approx((10.0 - 1) / 9));
    CHECK(result.rewards[1] == Approx((4.0 - 1) / 9));
    const auto metrics = metrics_of(result);
    CHECK(metrics.at("grm/parse_failures") == 1);
    CHECK(metrics.at("grm/vote_failures") == 0);
    // Critique tokens: the counter saw every critique, the unparsable one included.
    const double expected =
        static_cast<double>(rambling.size()) + 2 * static_cast<double>(critique_with_scores({10, 4}).size());
    CHECK(metrics.at("grm/critique_tokens") == expected);
  }
  SECTION("middle: the unparsable critique scores both responses 5.5") {
    const auto result = score_with(config::ParseFallback::kMiddle);
    CHECK(result.rewards[0] == Approx(((10 + 10 + 5.5) / 3 - 1) / 9));
    CHECK(result.rewards[1] == Approx(((4 + 4 + 5.5) / 3 - 1) / 9));
  }
  SECTION("fail: the group gets no GRM reward") {
    const auto result = score_with(config::ParseFallback::kFail);
    CHECK(result.rewards == std::vector<double>{0.0, 0.0});
    const auto metrics = metrics_of(result);
    CHECK(metrics.at("grm/parse_failures") == 1);
    CHECK(metrics.at("grm/vote_failures") == 1);
  }
}

TEST_CASE("a group larger than grm.max_responses_per_pass is chunked, still in one sampler call", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  config::Config config = grm_config();
  config.grm.max_responses_per_pass = 2;
  const std::vector<std::string> responses = {"1", "2", "3", "4", "5"};
  std::vector<std::string> written;
  // Each critique scores a response by its digit plus 2.
  auto sampler = std::make_unique<ScriptedSampler>(
      [](const std::string& prompt, size_t) {
        std::vector<int> shown_scores;
        for (const std::string& shown : shown_responses(prompt)) shown_scores.push_back(std::stoi(shown) + 2);
        return critique_with_scores(shown_scores);
      },
      &written);
  const auto calls = sampler->calls_;
  GrmBackends backends;
  backends.sampler = std::move(sampler);
  const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));
  const auto result = worker.score(request_for("pick", responses, "", 0, 0));

  CHECK(*calls == 1);
  CHECK(written.size() == 9);  // chunks {1,2}, {3,4}, {5}... balanced: 3 chunks x 3 samples
  for (size_t i = 0; i < responses.size(); ++i) CHECK(result.rewards[i] == Approx((i + 3.0 - 1) / 9));
  CHECK(metrics_of(result).at("grm/critiques") == 9);
}

TEST_CASE("GRM shuffles depend on run seed, step and prompt, not on the worker", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  const std::vector<std::string> responses = {"a", "b", "c", "d"};
  auto shown_orders = [&](int64_t seed, uint64_t step, uint64_t prompt_id) {
    config::Config config = grm_config();
    config.run.seed = seed;
    config.grm.samples = 4;
    std::vector<std::string> orders;
    GrmBackends backends;
    backends.sampler = std::make_unique<ScriptedSampler>([&orders](const std::string& prompt, size_t) {
      std::string order;
      for (const std::string& shown : shown_responses(prompt)) order += shown;
      orders.push_back(order);
      return critique_with_scores({5, 5, 5, 5});
    });
    RewardWorker(reward_worker_options(config), tokenizer, std::move(backends))
        .score(request_for("q", responses, "", step, prompt_id));
    return orders;
  };
  CHECK(shown_orders(1, 3, 7) == shown_orders(1, 3, 7));
  CHECK(shown_orders(1, 3, 7) != shown_orders(1, 4, 7));
  CHECK(shown_orders(1, 3, 7) != shown_orders(1, 3, 8));
  CHECK(shown_orders(1, 3, 7) != shown_orders(2, 3, 7));
}

TEST_CASE("the grm reward refuses backends without a sampler", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  CHECK_THROWS_AS(RewardWorker(reward_worker_options(grm_config()), tokenizer, GrmBackends{}), spct::UsageError);
}

TEST_CASE("a backend's running totals reach the metrics as what each group added", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  const config::Config config = grm_config();
  GrmBackends backends;
  auto sampler = std::make_unique<ScriptedSampler>([](const std::string&, size_t) {
    return critique_with_scores({9, 3});
  });
  const std::shared_ptr<int> calls = sampler->calls_;
  backends.sampler = std::move(sampler);
  // Like the remote backend's counters: two requests and 0.25 s per sampler call, plus 5 from earlier groups.
  backends.totals = [calls] {
    return Metrics{{"grm_remote/requests", 5.0 + 2.0 * *calls}, {"grm_remote/latency_s", 0.25 * *calls}};
  };
  const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));
  for (uint64_t id = 0; id < 3; ++id) {
    const auto metrics = metrics_of(worker.score(request_for("3+4=", {"7", "8"}, "7", 0, id)));
    CHECK(metrics.at("grm_remote/requests") == 2.0);
    CHECK(metrics.at("grm_remote/latency_s") == 0.25);
  }
}

namespace {

// Scores each shown response from the seed of its critique, as a GRM sampling with that seed would vary its
// scores; the generate() of a backend that seeds per call would take its batch positions instead.
class SeedScoredSampler : public grm::CritiqueSampler {
 public:
  std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) override {
    std::vector<uint64_t> positions(prompts.size());
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
    return generate_seeded(prompts, positions, temperature);
  }
  std::vector<std::string> generate_seeded(const std::vector<std::string>& prompts, const std::vector<uint64_t>& seeds,
                                           double) override {
    ++*calls;
    std::vector<std::string> out;
    for (size_t i = 0; i < prompts.size(); ++i) {
      std::vector<int> shown_scores;
      for (size_t p = 0; p < shown_responses(prompts[i]).size(); ++p) {
        shown_scores.push_back(1 + static_cast<int>((seeds[i] >> (6 * p)) % 10));
      }
      out.push_back(critique_with_scores(shown_scores));
    }
    return out;
  }
  std::shared_ptr<int> calls = std::make_shared<int>(0);
};

}  // namespace

TEST_CASE("groups scored in one GRM pass get the rewards they get when scored one by one", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  config::Config config = grm_config();
  config.grm.max_responses_per_pass = 3;  // the 4-response groups are chunked too
  std::vector<protocol::RewardRequest> requests;
  for (uint64_t id = 0; id < 5; ++id) {
    std::vector<std::string> responses;
    for (uint64_t r = 0; r < 2 + id % 3; ++r) responses.push_back("answer " + std::to_string(10 * id + r));
    requests.push_back(request_for("question " + std::to_string(id), responses, "", 2, 40 + id));
  }
  auto sampler = std::make_unique<SeedScoredSampler>();
  const std::shared_ptr<int> calls = sampler->calls;
  GrmBackends backends;
  backends.sampler = std::move(sampler);
  const RewardWorker worker(reward_worker_options(config), tokenizer, std::move(backends));

  std::vector<protocol::RewardResult> alone;
  alone.reserve(requests.size());
  for (const protocol::RewardRequest& request : requests) alone.push_back(worker.score(request));
  CHECK(*calls == 5);
  const std::vector<protocol::RewardResult> batched = worker.score_batch(requests);
  CHECK(*calls == 6);  // one critique pass for the five groups
  std::vector<protocol::RewardRequest> reversed(requests.rbegin(), requests.rend());
  std::vector<protocol::RewardResult> batched_reversed = worker.score_batch(reversed);
  std::reverse(batched_reversed.begin(), batched_reversed.end());

  std::set<double> distinct;
  double critiques = 0;
  for (size_t g = 0; g < requests.size(); ++g) {
    INFO("group " << g);
    CHECK(batched[g].prompt_id == requests[g].prompt_id);
    CHECK(batched[g].rewards == alone[g].rewards);
    CHECK(batched_reversed[g].rewards == alone[g].rewards);
    distinct.insert(alone[g].rewards.begin(), alone[g].rewards.end());
    critiques += metrics_of(batched[g]).at("grm/critiques");
  }
  // The seeds made a difference (the comparisons above could fail), and every chunk got its k critiques.
  CHECK(distinct.size() > 3);
  CHECK(critiques == 3 * (1 + 1 + 2 + 1 + 1));
}

TEST_CASE("logged steps carry the group's critiques: what each said of whom, whether it voted, cut to the bound",
          "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  config::Config config = grm_config();
  config.grm.meta_samples = 2;
  config.observe.rollout_log_every = 2;
  const uint64_t id = prompt_id_with_paper_orders(config, tokenizer);
  const auto score = [&](const config::Config& c, uint64_t step) {
    GrmBackends backends;
    backends.sampler =
        std::make_unique<ScriptedSampler>(scores_in_original_order(kPaperResponses, {{8, 8}, {5, 9}, {7, 10}}));
    backends.rater = std::make_unique<FixedRater>(std::vector<double>{-15.7781, 1.3126, 1.6739});
    return RewardWorker(reward_worker_options(c), tokenizer, std::move(backends))
        .score(request_for("3+4=", kPaperResponses, "7", step, id));
  };

  const protocol::RewardResult logged = score(config, 0);
  REQUIRE(logged.critiques.size() == 3);
  const std::vector<std::vector<int32_t>> shown_scores = {{8, 8}, {9, 5}, {10, 7}};
  const std::vector<std::vector<int32_t>> by_response = {{8, 8}, {5, 9}, {7, 10}};  // in the group's order
  for (std::size_t s = 0; s < 3; ++s) {
    const protocol::GrmCritique& c = logged.critiques[s];
    INFO("sample " << s);
    CHECK(c.sample == s);
    CHECK(c.chunk == 0);
    CHECK(c.scores == shown_scores[s]);
    // order names the response each score is about: scores[p] is what the critique gave response order[p].
    REQUIRE(c.order.size() == 2);
    CHECK(std::set<uint32_t>(c.order.begin(), c.order.end()) == std::set<uint32_t>{0, 1});
    for (std::size_t p = 0; p < 2; ++p) CHECK(c.scores[p] == by_response[s][c.order[p]]);
    CHECK(c.voted == (s > 0));  // the meta RM keeps samples 2 and 3
    CHECK(c.text == critique_with_scores({shown_scores[s][0], shown_scores[s][1]}));  // under the bound: whole
  }
  CHECK(logged.critiques[1].order == std::vector<uint32_t>{1, 0});  // the paper's sample 2 shows them reversed
  CHECK(logged.critiques[2].meta_score == Approx(1.6739));
  CHECK(logged.info.empty());

  CHECK(score(config, 1).critiques.empty());       // step 1 is not logged (every 2)
  config.observe.rollout_log_critique_chars = 60;  // 3 critiques of the chunk: 20 characters each
  const protocol::RewardResult cut = score(config, 0);
  const std::string whole = critique_with_scores({8, 8});
  CHECK(cut.critiques.at(0).text == whole.substr(0, 10) + "\n[... " + std::to_string(whole.size() - 20) +
                                        " characters cut ...]\n" + whole.substr(whole.size() - 10));
  config.observe.rollout_log_critique_chars = 0;
  CHECK(score(config, 0).critiques.empty());
}

TEST_CASE("the bound is shared by the critiques of one chunk, and texts are cut between characters", "[grm_reward]") {
  CHECK(cut_middle("ünïcödé", 7) == "ünïcödé");
  CHECK(cut_middle("ünïcödé", 4) == "ün\n[... 3 characters cut ...]\ndé");
  CHECK(cut_end("ünïcödé", 3) == "ünï [... 4 characters cut]");
  CHECK(cut_end("abc", 0) == " [... 3 characters cut]");

  // 4 responses in chunks of 2, 3 critiques each: a chunk's 3 critiques share the 60 characters of a line.
  std::vector<grm::CritiqueRecord> records(6);
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].chunk = static_cast<int>(i / 3);
    records[i].sample = static_cast<int>(i % 3);
    records[i].order = {static_cast<int>(i / 3) * 2 + 1, static_cast<int>(i / 3) * 2};
    records[i].text = std::string(100, 'x');
  }
  records[5].parsed.status = grm::ParseStatus::kOk;
  records[5].parsed.scores = {4, 6};
  const std::vector<protocol::GrmCritique> logged = critiques_for_log(records, 60);
  REQUIRE(logged.size() == 6);
  CHECK(logged[0].text == std::string(10, 'x') + "\n[... 80 characters cut ...]\n" + std::string(10, 'x'));
  CHECK(logged[5].order == std::vector<uint32_t>{3, 2});
  CHECK(logged[5].scores == std::vector<int32_t>{4, 6});
  CHECK(logged[4].scores.empty());  // its scores did not parse
  CHECK(critiques_for_log(records, 0).empty());
}

TEST_CASE("an external reward's info reaches the result on logged steps, cut to its bound", "[grm_reward]") {
  const tokenizer::CharTokenizer tokenizer;
  config::Config config;
  config.reward.functions = {"exact_match",
                             R"(m=command:sed -u 's/.*/{"scores": [1, 0], "info": [{"x": "abcdefghij"}, null]}/')"};
  config.observe.rollout_log_every = 2;
  config.observe.rollout_log_info_chars = 8;
  const RewardWorker worker(reward_worker_options(config), tokenizer);
  const protocol::RewardResult logged = worker.score(request_for("3+4=", {"7", "8"}, "7", 4, 1));
  REQUIRE(logged.info.size() == 1);
  CHECK(logged.info[0].name == "m");
  // {"x":"abcdefghij"} is 18 characters: 8 kept. The null entry is no info.
  CHECK(logged.info[0].values == std::vector<std::string>{R"({"x":"ab [... 10 characters cut])", ""});
  CHECK(logged.rewards == std::vector<double>{2.0, 0.0});
  CHECK(worker.score(request_for("3+4=", {"7", "8"}, "7", 5, 1)).info.empty());  // step 5 is not logged
}
