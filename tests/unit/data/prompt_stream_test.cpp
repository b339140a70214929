#include "orchestrator/data/prompt_stream.h"

#include <catch2/catch.hpp>
#include <set>

#include "core/error.h"
#include "orchestrator/data/jsonl_dataset.h"
#include "orchestrator/data/synthetic_task.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::data::JsonlDataset;
using spct::data::PromptItem;
using spct::data::PromptStream;
using spct::testing::TempDir;

namespace {

// A dataset file of `n` prompts "p0".."p{n-1}" on disk, loaded.
std::shared_ptr<const JsonlDataset> numbered_dataset(const TempDir& dir, int n, const std::string& name = "d.jsonl") {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"prompt\": \"p" + std::to_string(i) + "\", \"answer\": \"" + std::to_string(i) + "\"}\n";
  }
  return JsonlDataset::load(dir.write(name, text));
}

std::vector<std::string> prompts(const std::vector<PromptItem>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(item.prompt);
  return out;
}

}  // namespace

TEST_CASE("each epoch visits every item once in a seed-determined order", "[data]") {
  TempDir dir;
  const auto dataset = numbered_dataset(dir, 10);
  PromptStream stream(dataset, 5, true);
  const auto epoch0 = prompts(stream.next_batch(10));
  CHECK(stream.cursor() == spct::data::StreamCursor{1, 0});
  const auto epoch1 = prompts(stream.next_batch(10));
  CHECK(std::set<std::string>(epoch0.begin(), epoch0.end()).size() == 10);
  CHECK(std::set<std::string>(epoch1.begin(), epoch1.end()).size() == 10);
  CHECK(epoch0 != epoch1);

  PromptStream same_seed(dataset, 5, true);
  CHECK(prompts(same_seed.next_batch(20)) == [&] {
    auto all = epoch0;
    all.insert(all.end(), epoch1.begin(), epoch1.end());
    return all;
  }());
  PromptStream other_seed(dataset, 6, true);
  CHECK(prompts(other_seed.next_batch(10)) != epoch0);

  PromptStream in_order(dataset, 5, false);
  CHECK(prompts(in_order.next_batch(3)) == std::vector<std::string>{"p0", "p1", "p2"});
}

TEST_CASE("a stream restored from saved JSON continues exactly where it stopped", "[data]") {
  TempDir dir;
  const auto dataset = numbered_dataset(dir, 7);
  for (const bool shuffle : {true, false}) {
    PromptStream uninterrupted(dataset, 11, shuffle);
    const auto expected = prompts(uninterrupted.next_batch(40));

    for (const uint64_t stop_after : {0, 3, 7, 13, 20}) {
      PromptStream first(dataset, 11, shuffle);
      auto got = prompts(first.next_batch(stop_after));
      // Through text, as a checkpoint file would hold it.
      const std::string saved = first.save().dump();
      PromptStream resumed(dataset, 11, shuffle);
      resumed.restore(nlohmann::json::parse(saved));
      CHECK(resumed.cursor() == first.cursor());
      const auto rest = prompts(resumed.next_batch(40 - stop_after));
      got.insert(got.end(), rest.begin(), rest.end());
      INFO("shuffle " << shuffle << ", stopped after " << stop_after);
      CHECK(got == expected);
    }
  }
}

TEST_CASE("an endless task stream resumes exactly too", "[data]") {
  const auto task =
      std::make_shared<spct::data::SyntheticTask>(spct::data::TaskOptions{}, spct::data::Split::kTrain, 3, 64);
  PromptStream uninterrupted(task, 3, true);
  const auto expected = uninterrupted.next_batch(30);
  PromptStream first(task, 3, true);
  auto got = first.next_batch(12);
  CHECK(first.cursor() == spct::data::StreamCursor{0, 12});
  PromptStream resumed(task, 3, true);
  resumed.restore(nlohmann::json::parse(first.save().dump()));
  const auto rest = resumed.next_batch(18);
  got.insert(got.end(), rest.begin(), rest.end());
  CHECK(got == expected);
}

TEST_CASE("a saved state for other data, seed or settings is refused", "[data]") {
  TempDir dir;
  const auto dataset = numbered_dataset(dir, 5);
  PromptStream stream(dataset, 1, true);
  stream.next_batch(2);
  const nlohmann::json saved = stream.save();

  PromptStream other_data(numbered_dataset(dir, 6, "e.jsonl"), 1, true);
  CHECK_THROWS_WITH(other_data.restore(saved), Contains("saved for dataset") && Contains("items=5"));
  PromptStream other_seed(dataset, 2, true);
  CHECK_THROWS_WITH(other_seed.restore(saved), Contains("run.seed 1"));
  PromptStream unshuffled(dataset, 1, false);
  CHECK_THROWS_WITH(unshuffled.restore(saved), Contains("data.shuffle true"));

  PromptStream target(dataset, 1, true);
  auto past_end = saved;
  past_end["position"] = 5;
  CHECK_THROWS_WITH(target.restore(past_end), Contains("position 5 is past the end of 5"));
  auto missing = saved;
  missing.erase("epoch");
  CHECK_THROWS_WITH(target.restore(missing), Contains("missing \"epoch\""));
  auto negative = saved;
  negative["epoch"] = -1;
  CHECK_THROWS_WITH(target.restore(negative), Contains("\"epoch\" must be a non-negative integer, not -1"));
  CHECK_THROWS_AS(target.restore(nlohmann::json::array()), spct::InputError);
  CHECK(target.cursor() == spct::data::StreamCursor{});
}

TEST_CASE("a stream over an empty source is refused", "[data]") {
  class Empty final : public spct::data::PromptSource {
   public:
    uint64_t size() const override { return 0; }
    PromptItem at(uint64_t) const override { return {}; }
    std::string fingerprint() const override { return "empty"; }
  };
  CHECK_THROWS_AS(PromptStream(std::make_shared<Empty>(), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(PromptStream(nullptr, 1, true), std::invalid_argument);
}
