#include "orchestrator/data/synthetic_task.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "core/error.h"
#include "orchestrator/data/prompt_sources.h"

using Catch::Matchers::Contains;
using spct::data::Split;
using spct::data::SyntheticTask;
using spct::data::TaskKind;
using spct::data::TaskOptions;

namespace {

bool printable_ascii(const std::string& text) {
  for (const char c : text) {
    if (!(c == '\n' || (c >= 32 && c < 127))) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("add prompts carry their sum and stay within max_operand", "[data]") {
  const SyntheticTask task({TaskKind::kAdd, 99, 3}, Split::kTrain, 7, 64);
  CHECK(task.size() == spct::data::kUnbounded);
  for (uint64_t i = 0; i < 500; ++i) {
    const auto item = task.at(i);
    const auto plus = item.prompt.find('+');
    REQUIRE(plus != std::string::npos);
    REQUIRE(item.prompt.back() == '=');
    const int a = std::stoi(item.prompt.substr(0, plus));
    const int b = std::stoi(item.prompt.substr(plus + 1));
    CHECK(a <= 99);
    CHECK(b <= 99);
    CHECK(item.answer == std::to_string(a + b));
    CHECK(item.id == "add/train/" + std::to_string(i));
    CHECK_FALSE(item.is_chat());
  }
}

TEST_CASE("reverse and count answers are right and short by default", "[data]") {
  const spct::config::DataSection defaults;
  for (const TaskKind kind : {TaskKind::kAdd, TaskKind::kReverse, TaskKind::kCount}) {
    const SyntheticTask task({kind, defaults.max_operand, defaults.max_length}, Split::kTrain, 1, 64);
    for (uint64_t i = 0; i < 300; ++i) {
      const auto item = task.at(i);
      INFO(item.prompt << " -> " << item.answer);
      CHECK(printable_ascii(item.prompt));
      CHECK(item.answer.size() >= 1);
      CHECK(item.answer.size() <= 3);
      if (kind == TaskKind::kReverse) {
        REQUIRE(item.prompt.back() == '>');
        const std::string s = item.prompt.substr(0, item.prompt.size() - 1);
        CHECK(item.answer == std::string(s.rbegin(), s.rend()));
      } else if (kind == TaskKind::kCount) {
        REQUIRE(item.prompt[1] == ':');
        const std::string s = item.prompt.substr(2, item.prompt.size() - 3);
        CHECK(item.answer == std::to_string(std::count(s.begin(), s.end(), item.prompt[0])));
      }
    }
  }
}

TEST_CASE("items depend only on seed and index", "[data]") {
  const TaskOptions options{TaskKind::kCount, 9, 6};
  const SyntheticTask a(options, Split::kTrain, 3, 64);
  const SyntheticTask b(options, Split::kTrain, 3, 64);
  const SyntheticTask other_seed(options, Split::kTrain, 4, 64);
  int differences = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    CHECK(a.at(i) == b.at(i));
    differences += a.at(i).prompt != other_seed.at(i).prompt;
  }
  CHECK(a.at(150) == b.at(150));  // random access, not a sequence
  CHECK(differences > 100);
}

TEST_CASE("eval problems never appear in training, and eval ignores the run seed", "[data]") {
  for (const TaskKind kind : {TaskKind::kAdd, TaskKind::kReverse, TaskKind::kCount}) {
    const TaskOptions options{kind, 9, 3};
    const SyntheticTask eval(options, Split::kEval, 1, 50);
    const SyntheticTask eval_other_seed(options, Split::kEval, 2, 50);
    REQUIRE(eval.size() == 50);
    std::set<std::string> eval_prompts;
    for (uint64_t i = 0; i < eval.size(); ++i) {
      CHECK(eval.at(i) == eval_other_seed.at(i));
      CHECK(SyntheticTask::in_eval_partition(eval.at(i).prompt));
      eval_prompts.insert(eval.at(i).prompt);
    }
    const SyntheticTask train(options, Split::kTrain, 1, 50);
    std::set<std::string> train_prompts;
    for (uint64_t i = 0; i < 5000; ++i) train_prompts.insert(train.at(i).prompt);
    for (const auto& prompt : eval_prompts) CHECK(train_prompts.count(prompt) == 0);
    // Training still covers most of the space: about nine problems in ten.
    if (kind == TaskKind::kAdd) CHECK(train_prompts.size() + eval_prompts.size() >= 80);
  }
}

TEST_CASE("a problem space too small to split is a usage error", "[data]") {
  // max_operand 1 gives the four problems 0+0 .. 1+1: a split whose partition holds none of them cannot exist.
  int eval_problems = 0;
  for (int a = 0; a <= 1; ++a) {
    for (int b = 0; b <= 1; ++b) {
      eval_problems += SyntheticTask::in_eval_partition(std::to_string(a) + "+" + std::to_string(b) + "=");
    }
  }
  const auto make = [](Split split) { return SyntheticTask({TaskKind::kAdd, 1, 3}, split, 1, 8); };
  if (eval_problems == 0) {
    CHECK_THROWS_WITH(make(Split::kEval), Contains("data.max_operand") && Contains("too small"));
  } else {
    CHECK_NOTHROW(make(Split::kEval));
  }
  if (eval_problems == 4) {
    CHECK_THROWS_WITH(make(Split::kTrain), Contains("data.max_operand"));
  } else {
    CHECK_NOTHROW(make(Split::kTrain));
  }
  spct::config::DataSection preference;
  preference.task = spct::config::DataTask::kPreference;
  CHECK_THROWS_WITH(spct::data::task_options(preference), Contains("data.task") && Contains("preference"));
}

TEST_CASE("the config picks a task and its eval split", "[data]") {
  spct::config::Config config;
  config.data.task = spct::config::DataTask::kReverse;
  config.data.eval_size = 12;
  const auto sources = spct::data::make_prompt_sources(config);
  REQUIRE(sources.eval);
  CHECK(sources.eval->size() == 12);
  CHECK(sources.train->at(0).prompt.back() == '>');
  CHECK_THAT(sources.train->fingerprint(), Contains("task=reverse") && Contains("seed=1"));

  config.data.path = "x.jsonl";
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config), Contains("both set"));
}

TEST_CASE("a task whose prompts can exceed max_prompt_tokens is refused up front", "[data]") {
  spct::config::Config config;
  config.data.task = spct::config::DataTask::kCount;
  config.data.max_length = 20;
  config.data.max_prompt_tokens = 16;
  const spct::data::TokenCounter chars = [](const spct::data::PromptItem& item) {
    return static_cast<int64_t>(item.prompt.size());
  };
  // "a:" + 20 letters + "=" is 23 characters.
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config, chars),
                    Contains("data.max_length") && Contains("23 tokens") && Contains("data.max_prompt_tokens = 16"));
  config.data.max_length = 13;
  const auto sources = spct::data::make_prompt_sources(config, chars);
  for (uint64_t i = 0; i < 2000; ++i) CHECK(sources.train->at(i).prompt.size() <= 16);
  CHECK(SyntheticTask({TaskKind::kAdd, 250, 3}, Split::kTrain, 1, 8).longest_prompt().prompt == "250+250=");
}

TEST_CASE("tally answers are uniform in 0..max_length-1, so no constant answer scores above 1/max_length", "[data]") {
  const int64_t max_length = 7;
  for (const Split split : {Split::kTrain, Split::kEval}) {
    // The eval split the story uses (2500 items) and 20000 training items: each answer's share is
    // 1/7 = 0.143 within about three binomial standard errors (0.0070 for 2500 items).
    const uint64_t items = split == Split::kEval ? 2500 : 20000;
    const SyntheticTask task({TaskKind::kTally, 9, max_length}, split, 4, 2500);
    std::map<std::string, int> answers;
    for (uint64_t i = 0; i < items; ++i) {
      const auto item = task.at(i);
      // "x:" + exactly max_length letters + "=", and the answer recomputed from the prompt text.
      REQUIRE(item.prompt.size() == static_cast<size_t>(max_length + 3));
      const std::string letters = item.prompt.substr(2, static_cast<size_t>(max_length));
      REQUIRE(item.answer == std::to_string(std::count(letters.begin(), letters.end(), item.prompt[0])));
      REQUIRE(letters.find_first_not_of("abcde") == std::string::npos);
      ++answers[item.answer];
    }
    CHECK(answers.size() == static_cast<size_t>(max_length));
    for (const auto& [answer, seen] : answers) {
      INFO(answer << " in " << (split == Split::kEval ? "eval" : "train"));
      const double share = static_cast<double>(seen) / static_cast<double>(items);
      CHECK(share == Approx(1.0 / max_length).margin(0.021));
      CHECK(share <= 0.165);
    }
  }
  // `count` at its defaults is the skewed task the story used before: "1" is most of its answers.
  const SyntheticTask count({TaskKind::kCount, 9, 3}, Split::kEval, 1, 2500);
  int ones = 0;
  for (uint64_t i = 0; i < 2500; ++i) ones += count.at(i).answer == "1" ? 1 : 0;
  CHECK(ones > 1250);
  CHECK(spct::config::from_string<TaskKind>("tally") == TaskKind::kTally);
  CHECK(spct::config::to_string(TaskKind::kTally) == "tally");
}
