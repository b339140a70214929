#include "orchestrator/data/preference_task.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "workers/reward/grm/critique_judge.h"
#include "workers/reward/grm/oracle_critique.h"

using Catch::Matchers::Contains;
using spct::data::PreferenceTaskOptions;
using spct::data::Split;
using spct::data::SyntheticPreferences;
using spct::data::SyntheticTask;
using spct::data::TaskKind;

namespace {

// The task's answer to a query, recomputed here from the prompt text rather than taken from the generator.
std::string solve(TaskKind kind, const std::string& query) {
  if (kind == TaskKind::kAdd) {
    const auto plus = query.find('+');
    return std::to_string(std::stoi(query.substr(0, plus)) + std::stoi(query.substr(plus + 1)));
  }
  if (kind == TaskKind::kReverse) {
    const std::string s = query.substr(0, query.size() - 1);
    return {s.rbegin(), s.rend()};
  }
  const std::string s = query.substr(2, query.size() - 3);
  return std::to_string(std::count(s.begin(), s.end(), query[0]));
}

}  // namespace

TEST_CASE("every item shows the one correct answer at its truth index among distinct wrong ones", "[grm_train]") {
  for (const TaskKind kind : {TaskKind::kAdd, TaskKind::kReverse, TaskKind::kCount, TaskKind::kTally}) {
    for (const int64_t n : {2, 4, 8}) {
      const SyntheticPreferences source({{kind, 9, 3}, n}, Split::kTrain, 5, 64);
      std::set<int> positions;
      for (uint64_t i = 0; i < 200; ++i) {
        const auto item = source.at(i);
        INFO(item.where << ": " << item.query);
        REQUIRE(item.responses.size() == static_cast<size_t>(n));
        if (!item.labels.empty()) continue;  // tally's other kinds: the test below
        const std::string answer = solve(kind, item.query);
        CHECK(item.responses[static_cast<size_t>(item.truth)] == answer);
        CHECK(std::set<std::string>(item.responses.begin(), item.responses.end()).size() == item.responses.size());
        CHECK(item.subset == spct::config::to_string(kind));
        positions.insert(item.truth);
      }
      CHECK(positions.size() == static_cast<size_t>(n));  // the correct answer is not always in one place
    }
  }
}

TEST_CASE("wrong sums are near misses, never negative", "[grm_train]") {
  const SyntheticPreferences source({{TaskKind::kAdd, 9, 3}, 3}, Split::kTrain, 1, 64);
  for (uint64_t i = 0; i < 300; ++i) {
    const auto item = source.at(i);
    const std::string answer = item.responses[static_cast<size_t>(item.truth)];
    const std::string swapped(answer.rbegin(), answer.rend());
    for (const std::string& r : item.responses) {
      INFO(item.query << " " << r);
      const int value = std::stoi(r);
      CHECK(value >= 0);
      CHECK((std::abs(value - std::stoi(answer)) <= 10 || r == swapped));
    }
  }
}

TEST_CASE("the single-response variant labels about half of its items correct, and the label is right", "[grm_train]") {
  const SyntheticPreferences source({{TaskKind::kCount, 9, 3}, 1}, Split::kTrain, 3, 64);
  int correct = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    const auto item = source.at(i);
    REQUIRE(item.responses.size() == 1);
    const bool right = item.responses[0] == solve(TaskKind::kCount, item.query);
    CHECK(item.truth == (right ? 1 : 0));
    correct += right;
  }
  CHECK(correct > 150);
  CHECK(correct < 250);
}

TEST_CASE("items depend only on options, split, seed and index, eval items are held out", "[grm_train]") {
  const PreferenceTaskOptions options{{TaskKind::kAdd, 20, 3}, 2};
  const auto a = spct::data::make_synthetic_preferences(options, Split::kTrain, 9, 100);
  const auto b = spct::data::make_synthetic_preferences(options, Split::kTrain, 9, 100);
  const auto other = spct::data::make_synthetic_preferences(options, Split::kTrain, 10, 100);
  const auto eval = spct::data::make_synthetic_preferences(options, Split::kEval, 9, 50);
  REQUIRE(eval.size() == 50);
  int differences = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].query == b[i].query);
    CHECK(a[i].responses == b[i].responses);
    CHECK(a[i].truth == b[i].truth);
    differences += a[i].query != other[i].query;
    CHECK_FALSE(SyntheticTask::in_eval_partition(a[i].query));
  }
  CHECK(differences > 50);
  for (const auto& item : eval) CHECK(SyntheticTask::in_eval_partition(item.query));
  // The eval split does not depend on the run seed.
  CHECK(spct::data::make_synthetic_preferences(options, Split::kEval, 1, 50)[7].query == eval[7].query);
}

TEST_CASE("preference options come from the data section and are checked", "[grm_train]") {
  spct::config::DataSection data;
  data.preference_task = TaskKind::kReverse;
  data.preference_responses = 3;
  data.max_length = 4;
  const PreferenceTaskOptions options = spct::data::preference_task_options(data);
  CHECK(options.task.kind == TaskKind::kReverse);
  CHECK(options.task.max_length == 4);
  CHECK(options.responses == 3);

  CHECK_THROWS_WITH(SyntheticPreferences({{TaskKind::kAdd, 9, 3}, 9}, Split::kTrain, 1, 64),
                    Contains("data.preference_responses"));
  CHECK_THROWS_AS(SyntheticPreferences({{TaskKind::kAdd, 9, 3}, 0}, Split::kTrain, 1, 64), spct::UsageError);
}

TEST_CASE("wrong counts include two-digit and empty answers, which a drifting policy writes", "[grm_train]") {
  const SyntheticPreferences source({{TaskKind::kCount, 9, 3}, 2}, Split::kTrain, 4, 64);
  int two_digit = 0;
  int empty = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    const auto item = source.at(i);
    const std::string answer = solve(TaskKind::kCount, item.query);
    const std::string& wrong = item.responses[static_cast<size_t>(1 - item.truth)];
    INFO(item.query << " " << wrong);
    CHECK(wrong != answer);
    if (wrong.size() == 2) {
      CHECK((wrong == answer + answer || wrong == answer + "0" || wrong == "0" + answer));
      ++two_digit;
    }
    empty += wrong.empty();
  }
  CHECK(two_digit > 40);  // a fair share of the items, so a GRM learns that they are wrong
  CHECK(empty > 15);
}

TEST_CASE("tally items: 3/4 of wrong responses are other counts, 1/4 malformed, as documented", "[grm_train]") {
  // 20000 one-right pairs (half of 40000 train items) at max_length 7: each share's binomial standard error is
  // below 0.0031, so +-0.015 is about five of them.
  const int64_t max_length = 7;
  const SyntheticPreferences source({{TaskKind::kTally, 9, max_length}, 2}, Split::kTrain, 3, 1);
  int items = 0;
  int malformed = 0;
  int truth_first = 0;
  std::map<std::string, int> forms;
  // Per count, the items that show it as the right and as a wrong answer.
  std::map<int, int> shown_right;
  std::map<int, int> shown_wrong;
  for (int i = 0; i < 40000; ++i) {
    const auto item = source.at(static_cast<uint64_t>(i));
    if (!item.labels.empty()) continue;  // the other kinds: the test below
    ++items;
    const std::string answer = solve(TaskKind::kTally, item.query);
    REQUIRE(item.responses[static_cast<size_t>(item.truth)] == answer);
    truth_first += item.truth == 0 ? 1 : 0;
    const std::string& wrong = item.responses[static_cast<size_t>(1 - item.truth)];
    REQUIRE(wrong != answer);
    const bool canonical = !wrong.empty() && wrong.size() == 1 && wrong[0] >= '0' && wrong[0] <= '9';
    if (canonical) {
      // Another count, inside the answers' range 0..max_length-1.
      CHECK(std::stoi(wrong) < max_length);
      ++shown_wrong[std::stoi(wrong)];
      ++shown_right[std::stoi(answer)];
      continue;
    }
    ++shown_right[std::stoi(answer)];
    ++malformed;
    if (wrong.empty()) {
      ++forms["empty"];
    } else if (wrong == "0" + answer) {
      ++forms["leading zero"];
    } else if (wrong == answer + answer) {
      ++forms["doubled"];
    } else {
      CHECK(wrong == item.query.substr(0, 1));
      ++forms["letter"];
    }
  }
  CHECK(static_cast<double>(malformed) / items == Approx(spct::data::kTallyMalformedShare).margin(0.015));
  for (const auto& [form, seen] : forms) {
    INFO(form);
    CHECK(static_cast<double>(seen) / items == Approx(spct::data::kTallyMalformedShare / 4).margin(0.01));
  }
  CHECK(forms.size() == 4);
  CHECK(static_cast<double>(truth_first) / items == Approx(0.5).margin(0.015));
  // No count is a better guess than another: each is the right answer of 4/7 of the items that show it
  // (about 5000 items per count, a standard error of 0.007; near misses alone gave 0 and 6 0.70).
  for (int count = 0; count < max_length; ++count) {
    INFO("count " << count);
    const int shown = shown_right[count] + shown_wrong[count];
    REQUIRE(shown > 0);
    CHECK(static_cast<double>(shown_right[count]) / shown == Approx(4.0 / 7).margin(0.035));
  }
}

TEST_CASE("tally train items: one right 1/2, all wrong 1/6, all wrong with one answer 1/6, all right 1/6",
          "[grm_train]") {
  // The kinds a GRM meets when it rewards a policy (preference_task.h). 12000 items per n: each share's binomial
  // standard error is below 0.0046, so +-0.02 is over four of them.
  const int64_t max_length = 7;
  const int items = 12000;
  const std::vector<double> expected = {3.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6};
  for (const int64_t n : {2, 4}) {
    INFO("n " << n);
    const SyntheticPreferences source({{TaskKind::kTally, 9, max_length}, n}, Split::kTrain, 3, 1);
    std::vector<int> kinds(4, 0);
    for (int i = 0; i < items; ++i) {
      const auto item = source.at(static_cast<uint64_t>(i));
      INFO(item.where << ": " << item.query);
      const std::string answer = solve(TaskKind::kTally, item.query);
      REQUIRE(item.responses.size() == static_cast<size_t>(n));
      if (item.labels.empty()) {
        CHECK(item.responses[static_cast<size_t>(item.truth)] == answer);
        ++kinds[0];
        continue;
      }
      CHECK(item.answer == answer);
      REQUIRE(item.labels.size() == item.responses.size());
      for (size_t r = 0; r < item.responses.size(); ++r) {
        CHECK(item.labels[r] == (item.responses[r] == answer ? 1 : 0));
        CHECK(spct::grm::response_right(item, r) == (item.labels[r] == 1));
      }
      const size_t distinct = std::set<std::string>(item.responses.begin(), item.responses.end()).size();
      const bool all_right = item.labels[0] == 1;
      CHECK(std::count(item.labels.begin(), item.labels.end(), item.labels[0]) == n);  // all alike
      if (all_right) {
        ++kinds[3];
      } else if (distinct == 1) {
        ++kinds[2];
      } else {
        CHECK(distinct == static_cast<size_t>(n));
        ++kinds[1];
      }
    }
    for (size_t k = 0; k < kinds.size(); ++k) {
      INFO("kind " << k << ": " << kinds[k]);
      CHECK(static_cast<double>(kinds[k]) / items == Approx(expected[k]).margin(0.02));
      CHECK(spct::data::kTallyKindSixths[k] / 6.0 == expected[k]);
    }
  }
  // Held-out items, other tasks and the single-response variant keep one truth.
  for (const auto& [kind, n, split] :
       {std::tuple{TaskKind::kTally, int64_t{2}, Split::kEval}, std::tuple{TaskKind::kTally, int64_t{1}, Split::kTrain},
        std::tuple{TaskKind::kCount, int64_t{2}, Split::kTrain}}) {
    const SyntheticPreferences source({{kind, 9, max_length}, n}, split, 3, 500);
    for (uint64_t i = 0; i < 500; ++i) CHECK(source.at(i).labels.empty());
  }
}

TEST_CASE("labelled tally items: the oracle critique is judged correct, one high score for two wrong ones is not",
          "[grm_train]") {
  spct::config::GrmSection section;
  section.prompt_template = spct::config::GrmPromptTemplate::kCompact;
  const spct::grm::PromptTemplate prompt(spct::grm::PromptOptions::from_config(section));
  const SyntheticPreferences source({{TaskKind::kTally, 9, 7}, 2}, Split::kTrain, 3, 1);
  int labelled = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    const auto item = source.at(i);
    if (item.labels.empty()) continue;
    ++labelled;
    INFO(item.query << " " << item.responses[0] << "," << item.responses[1]);
    for (const std::vector<int>& order : {std::vector<int>{0, 1}, {1, 0}}) {
      const std::string oracle = spct::grm::oracle_critique(prompt, item, order);
      CHECK(spct::grm::judge_critique(prompt, item, order, oracle).correct);
      CHECK(spct::grm::render_item_prompt(prompt, item, order, true) ==
            spct::grm::render_item_prompt(prompt, item, order));  // no best response to hint at
      // What a GRM that only saw one-right items writes: one high, one low. Wrong for every labelled kind.
      CHECK_FALSE(spct::grm::judge_critique(prompt, item, order, "\\boxed{10,1}").correct);
    }
  }
  CHECK(labelled > 100);
}
