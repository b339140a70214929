#include "orchestrator/data/preference_task.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "orchestrator/data/deterministic_random.h"

namespace spct::data {
namespace {

constexpr uint64_t kPreferenceSalt = 0x707265666572ULL;  // "prefer": apart from the task's own draws
constexpr std::string_view kLetters = "abcde";

// Fisher-Yates with the counter-based generator, so the order is the same on every platform.
template <class T>
void shuffle(std::vector<T>& values, SplitMix64& rng) {
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng.below(i)]);
}

// Near misses for a numeric answer: off by one to three (and by ten for sums), the digits swapped for sums.
// Counts also get the answer written with two digits (1 -> "11", "10", "01") and the empty answer: a policy
// rewarded by a GRM drifts into such strings when the GRM has never seen them judged wrong (docs/grm.md, the
// quickstart story).
// `extra` continues the offsets upwards, so there are always enough for any n.
void numeric_misses(int64_t answer, bool is_sum, std::vector<std::string>& primary, std::vector<std::string>& extra) {
  std::vector<int64_t> offsets = {1, -1, 2, -2};
  if (is_sum) {
    offsets.push_back(10);
    offsets.push_back(-10);
  } else {
    offsets.push_back(3);
    offsets.push_back(-3);
  }
  for (const int64_t d : offsets) {
    if (answer + d >= 0) primary.push_back(std::to_string(answer + d));
  }
  const std::string digits = std::to_string(answer);
  if (is_sum && digits.size() == 2 && digits[0] != digits[1] && digits[1] != '0') {
    primary.push_back(std::string{digits[1], digits[0]});
  }
  if (!is_sum) {
    primary.push_back(digits + digits);
    primary.push_back(digits + "0");
    primary.push_back("0" + digits);
    primary.emplace_back();  // no answer at all
  }
  for (int64_t d = 3; d < 3 + kMaxPreferenceResponses + 6; ++d) extra.push_back(std::to_string(answer + d));
}

// Near misses for a reversal: the string as given, one letter changed, rotated by one; `extra` appends letters.
void reverse_misses(const std::string& answer, std::vector<std::string>& primary, std::vector<std::string>& extra) {
  primary.emplace_back(answer.rbegin(), answer.rend());
  for (size_t i = 0; i < answer.size(); ++i) {
    for (const char c : kLetters) {
      if (c == answer[i]) continue;
      std::string changed = answer;
      changed[i] = c;
      primary.push_back(std::move(changed));
    }
  }
  if (answer.size() > 1) primary.push_back(answer.substr(1) + answer[0]);
  for (const char c : kLetters) extra.push_back(answer + c);
}

// One wrong answer to a tally problem with the stated mix (preference_task.h): a wrong count or a malformed one.
std::string tally_miss(const PromptItem& problem, int64_t max_length, SplitMix64& rng) {
  const int64_t answer = std::stoll(problem.answer);
  // 1 in 4 draws (kTallyMalformedShare) is malformed.
  if (rng.below(4) == 0) {
    switch (rng.below(4)) {
      case 0: return "0" + problem.answer;
      case 1: return problem.answer + problem.answer;
      case 2: return problem.prompt.substr(0, 1);  // the counted letter
      default: return {};
    }
  }
  // A wrong count, uniform among all the other counts: then every count is the right answer of the same share of
  // the items that show it, and a GRM cannot score well by preferring some values. Near misses only (off by 1
  // or 2) made the end counts 0 and max_length-1 right 70% of the times they were shown against 53% for 3;
  // GRMs trained on them chose "0" over the true count 83-93% of the time, and policies they rewarded learned to
  // answer "0" to everything (docs/grm.md).
  const auto other = static_cast<int64_t>(rng.below(static_cast<uint64_t>(max_length - 1)));
  return std::to_string(other < answer ? other : other + 1);
}

// n - 1 distinct wrong answers to `problem`, each rejected by the verifier.
std::vector<std::string> wrong_answers(const TaskOptions& task, const PromptItem& problem, size_t wanted,
                                       SplitMix64& rng) {
  const TaskKind kind = task.kind;
  std::vector<std::string> primary, extra;
  if (kind == TaskKind::kTally) {
    // Redraws keep the stated mix; with at most 7 wrong responses from 8 or more distinct candidates a few
    // hundred draws always suffice, and the numeric extras below are a guard, not a second distribution.
    for (int draw = 0; draw < 1000 && primary.size() < wanted; ++draw) {
      std::string candidate = tally_miss(problem, task.max_length, rng);
      if (std::find(primary.begin(), primary.end(), candidate) == primary.end()) primary.push_back(candidate);
    }
    for (int64_t d = 3; d < 3 + kMaxPreferenceResponses; ++d)
      extra.push_back(std::to_string(std::stoll(problem.answer) + d));
    primary.insert(primary.end(), extra.begin(), extra.end());
  } else if (kind == TaskKind::kReverse) {
    reverse_misses(problem.answer, primary, extra);
  } else {
    numeric_misses(std::stoll(problem.answer), kind == TaskKind::kAdd, primary, extra);
  }
  if (kind != TaskKind::kTally) {
    shuffle(primary, rng);
    primary.insert(primary.end(), extra.begin(), extra.end());
  }
  std::vector<std::string> chosen;
  for (std::string& candidate : primary) {
    if (chosen.size() == wanted) break;
    if (verify_answer(problem, candidate)) continue;
    if (std::find(chosen.begin(), chosen.end(), candidate) != chosen.end()) continue;
    chosen.push_back(std::move(candidate));
  }
  if (chosen.size() != wanted) {
    // The extras alone are more than kMaxPreferenceResponses distinct strings, so this is a bug, not bad input.
    throw Error(ExitCode::kFailure, "synthetic preference task: too few wrong answers for \"" + problem.prompt + "\"");
  }
  return chosen;
}

// One kind with the shares of kTallyKindSixths.
PreferenceKind draw_kind(SplitMix64& rng) {
  auto sixth = static_cast<int>(rng.below(6));
  int kind = 0;
  while (sixth >= kTallyKindSixths[kind]) sixth -= kTallyKindSixths[kind++];
  return static_cast<PreferenceKind>(kind);
}

}  // namespace

bool verify_answer(const PromptItem& problem, const std::string& response) {
  return response == problem.answer;
}

PreferenceTaskOptions preference_task_options(const config::DataSection& data) {
  PreferenceTaskOptions options;
  options.task = {data.preference_task, data.max_operand, data.max_length};
  options.responses = data.preference_responses;
  return options;
}

SyntheticPreferences::SyntheticPreferences(PreferenceTaskOptions options, Split split, uint64_t seed,
                                           uint64_t eval_size)
    : options_(options),
      seed_(seed),
      labelled_kinds_(options.task.kind == TaskKind::kTally && split == Split::kTrain && options.responses >= 2),
      task_(options.task, split, seed, eval_size) {
  if (options_.responses < 1 || options_.responses > kMaxPreferenceResponses) {
    throw UsageError("data.preference_responses must be in 1.." + std::to_string(kMaxPreferenceResponses) + ", not " +
                     std::to_string(options_.responses));
  }
}

grm::PreferenceItem SyntheticPreferences::at(uint64_t index) const {
  const PromptItem problem = task_.at(index);
  SplitMix64 rng(mix_keys(seed_, kPreferenceSalt, hash_text(problem.id, 0)));
  grm::PreferenceItem item;
  item.query = problem.prompt;
  item.subset = config::to_string(options_.task.kind);
  item.where = "synthetic " + problem.id;
  if (options_.responses == 1) {
    // The single-response variant: correct half of the time.
    const bool correct = rng.below(2) == 1;
    item.responses = {correct ? problem.answer : wrong_answers(options_.task, problem, 1, rng).front()};
    item.truth = correct ? 1 : 0;
    return item;
  }
  const auto n = static_cast<size_t>(options_.responses);
  const PreferenceKind kind = labelled_kinds_ ? draw_kind(rng) : PreferenceKind::kOneRight;
  if (kind != PreferenceKind::kOneRight) {
    item.answer = problem.answer;
    if (kind == PreferenceKind::kAllRight) {
      item.responses.assign(n, problem.answer);
    } else if (kind == PreferenceKind::kAllWrongSame) {
      item.responses.assign(n, wrong_answers(options_.task, problem, 1, rng).front());
    } else {
      item.responses = wrong_answers(options_.task, problem, n, rng);
    }
    item.labels.assign(n, kind == PreferenceKind::kAllRight ? 1 : 0);
    return item;
  }
  item.responses = wrong_answers(options_.task, problem, n - 1, rng);
  item.truth = static_cast<int>(rng.below(static_cast<uint64_t>(options_.responses)));
  item.responses.insert(item.responses.begin() + item.truth, problem.answer);
  return item;
}

std::string SyntheticPreferences::fingerprint() const {
  return "preference n=" + std::to_string(options_.responses) + (labelled_kinds_ ? " kinds 3:1:1:1 " : " ") +
         task_.fingerprint();
}

std::vector<grm::PreferenceItem> make_synthetic_preferences(const PreferenceTaskOptions& options, Split split,
                                                            uint64_t seed, uint64_t count) {
  const SyntheticPreferences source(options, split, seed, std::max<uint64_t>(count, 1));
  std::vector<grm::PreferenceItem> items;
  items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) items.push_back(source.at(i));
  return items;
}

}  // namespace spct::data
