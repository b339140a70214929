// Rollout logs: records written by RolloutLogWriter (zstd and plain) read back by read_rollout_file, the size
// bounds, the rename-at-step-end contract, the resume discard, and corrupt files named with where they break.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "orchestrator/observe/rollout_log_files.h"
#include "orchestrator/observe/rollout_log_reader.h"
#include "orchestrator/observe/rollout_log_writer.h"
#include "orchestrator/observe/rollout_views.h"
#include "tests/unit/config/test_files.h"

namespace spct::observe {
namespace {

RolloutRecord sample(int64_t step, int64_t group, int64_t index, double reward) {
  RolloutRecord r;
  r.step = step;
  r.group = group;
  r.prompt_id = static_cast<uint64_t>(100 + group);
  r.index = index;
  r.policy_version = static_cast<uint64_t>(step);
  r.trained = group % 2 == 0;
  r.prompt = "<|user|>\nWhat is " + std::to_string(group) + " + " + std::to_string(index) + "?\n<|assistant|>\n";
  r.completion = "The answer is " + std::to_string(group + index) + ".\n\"quoted\" — ünïcode";
  r.reward = reward;
  r.rewards = {{"exact_match", reward}, {"format", 0.5}};
  r.advantage = reward - 0.5;
  r.length = 7 + index;
  r.truncated = index == 1;
  r.logprob_sum = -3.25 * static_cast<double>(index + 1);
  return r;
}

std::vector<RolloutRecord> samples(int64_t step, int64_t count) {
  std::vector<RolloutRecord> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(sample(step, i / 2, i % 2, static_cast<double>(i % 3) / 2));
  return out;
}

void check_same(const RolloutRecord& a, const RolloutRecord& b) {
  CHECK(a.step == b.step);
  CHECK(a.group == b.group);
  CHECK(a.prompt_id == b.prompt_id);
  CHECK(a.index == b.index);
  CHECK(a.policy_version == b.policy_version);
  CHECK(a.trained == b.trained);
  CHECK(a.prompt == b.prompt);
  CHECK(a.completion == b.completion);
  CHECK(a.reward == b.reward);
  CHECK(a.rewards == b.rewards);
  CHECK(a.advantage == b.advantage);
  CHECK(a.length == b.length);
  CHECK(a.truncated == b.truncated);
  CHECK(a.logprob_sum == b.logprob_sum);
}

std::string message_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError thrown");
  return "";
}

}  // namespace

TEST_CASE("a step's records come back from the file exactly, zstd or plain") {
  const bool compress = GENERATE(true, false);
  testing::TempDir dir;
  const std::filesystem::path logs = std::filesystem::path(dir.path()) / "rollouts";
  RolloutLogWriter writer(logs, {.every = 2, .compress = compress});
  CHECK(writer.due(0));
  CHECK_FALSE(writer.due(1));
  CHECK(writer.due(4));
  const std::vector<RolloutRecord> written = samples(4, 9);
  const RolloutLogWriter::StepLog log = writer.write_step(4, written);
  CHECK(log.written == 9);
  CHECK(log.dropped == 0);
  CHECK(log.path == logs / (compress ? "step-00000004.jsonl.zst" : "step-00000004.jsonl"));
  CHECK(log.file_bytes == static_cast<int64_t>(std::filesystem::file_size(log.path)));
  if (compress) CHECK(log.file_bytes < log.json_bytes);
  if (!compress) CHECK(log.file_bytes == log.json_bytes);
  CHECK_FALSE(std::filesystem::exists(log.path.string() + ".tmp"));

  const std::vector<RolloutFile> files = list_rollout_files(logs);
  REQUIRE(files.size() == 1);
  CHECK(files[0].step == 4);
  CHECK(files[0].compressed == compress);
  CHECK(rollout_content_bytes(files[0]) == log.json_bytes);
  const std::vector<RolloutRecord> read = read_rollout_file(files[0]);
  REQUIRE(read.size() == written.size());
  for (std::size_t i = 0; i < read.size(); ++i) check_same(read[i], written[i]);
}

TEST_CASE("every line is one JSON object with the documented keys, and non-finite numbers survive as null") {
  RolloutRecord r = sample(3, 1, 0, std::nan(""));
  r.completion = std::string("cut mid-character ") + "\xE2\x82";  // a 3-byte sequence cut after 2
  const std::string line = to_json_line(r);
  CHECK(line.find('\n') == std::string::npos);
  for (const char* key : {"\"step\":3", "\"group\":1", "\"prompt_id\":101", "\"index\":0", "\"policy_version\":3",
                          "\"trained\":false", "\"reward\":null", "\"rewards\":{\"exact_match\":null,\"format\":0.5}",
                          "\"length\":7", "\"truncated\":false", "\"logprob_sum\":-3.25"}) {
    INFO(key);
    CHECK(line.find(key) != std::string::npos);
  }
  const RolloutRecord back = parse_json_line(line, "here");
  CHECK(std::isnan(back.reward));
  CHECK(back.completion == "cut mid-character \xEF\xBF\xBD");  // the broken sequence became U+FFFD
}

TEST_CASE("the file bound stops a step's records, the run bound stops the run's, and neither throws") {
  testing::TempDir dir;
  const std::filesystem::path logs = std::filesystem::path(dir.path()) / "rollouts";
  const int64_t line_bytes = static_cast<int64_t>(to_json_line(sample(0, 0, 0, 0.0)).size()) + 1;
  // Lines differ by a few bytes (numbers); bounds of whole lines with slack below one more line.
  RolloutLogWriter writer(logs, {.every = 1,
                                 .compress = true,
                                 .max_file_bytes = 3 * line_bytes + line_bytes / 2,
                                 .max_run_bytes = 5 * line_bytes + line_bytes / 2});
  const RolloutLogWriter::StepLog first = writer.write_step(0, samples(0, 6));
  CHECK(first.written == 3);
  CHECK(first.dropped == 3);
  CHECK(read_rollout_file(list_rollout_files(logs).at(0)).size() == 3);
  const RolloutLogWriter::StepLog second = writer.write_step(1, samples(1, 6));
  CHECK(second.written == 2);  // the run bound leaves room for two more lines
  CHECK(second.dropped == 4);
  const RolloutLogWriter::StepLog third = writer.write_step(2, samples(2, 6));
  CHECK(third.written == 0);
  CHECK(third.dropped == 6);
  CHECK(third.path.empty());
  CHECK(list_rollout_files(logs).size() == 2);  // a step with nothing to write leaves no file

  // A new writer (a resumed run) counts the kept files against the run bound.
  RolloutLogWriter resumed(logs, {.every = 1, .compress = true, .max_run_bytes = 5 * line_bytes + line_bytes / 2});
  CHECK(resumed.run_bytes() == first.json_bytes + second.json_bytes);
  CHECK(resumed.write_step(3, samples(3, 2)).written == 0);
}

TEST_CASE("a resume moves the steps it writes again, and unfinished .tmp files, into discarded/") {
  testing::TempDir dir;
  const std::filesystem::path logs = std::filesystem::path(dir.path()) / "rollouts";
  RolloutLogWriter writer(logs, {.every = 1, .compress = false});
  for (int64_t step = 0; step < 5; ++step) writer.write_step(step, samples(step, 2));
  dir.write("rollouts/step-00000005.jsonl.tmp", "{\"step\":5, \"gro");  // a killed write
  dir.write("rollouts/discarded/step-00000004.jsonl", "an earlier discard\n");

  CHECK(discard_rollouts_from(logs, 3) == 3);
  std::vector<int64_t> kept;
  for (const RolloutFile& file : list_rollout_files(logs)) kept.push_back(file.step);
  CHECK(kept == std::vector<int64_t>{0, 1, 2});
  CHECK(std::filesystem::exists(logs / "discarded/step-00000003.jsonl"));
  CHECK(std::filesystem::exists(logs / "discarded/step-00000005.jsonl.tmp"));
  // Nothing is overwritten: the earlier discard keeps its name, this one gets a suffix.
  CHECK(testing::read_file((logs / "discarded/step-00000004.jsonl").string()) == "an earlier discard\n");
  CHECK(read_rollout_file({4, logs / "discarded/step-00000004.jsonl.1", false}).size() == 2);
  CHECK(discard_rollouts_from(logs, 3) == 0);
  CHECK(discard_rollouts_from(std::filesystem::path(dir.path()) / "absent", 0) == 0);
}

TEST_CASE("only step files are listed: tmp, discarded and stray names are not") {
  CHECK(parse_rollout_file_name("step-00000012.jsonl.zst")->step == 12);
  CHECK(parse_rollout_file_name("step-123456789.jsonl")->step == 123456789);
  CHECK_FALSE(parse_rollout_file_name("step-00000012.jsonl.zst.tmp"));
  CHECK_FALSE(parse_rollout_file_name("step-12.jsonl"));
  CHECK_FALSE(parse_rollout_file_name("step-0000001x.jsonl"));
  CHECK_FALSE(parse_rollout_file_name("notes.jsonl"));
}

TEST_CASE("corrupt rollout files are named with where they break") {
  testing::TempDir dir;
  const std::filesystem::path logs = std::filesystem::path(dir.path()) / "rollouts";
  RolloutLogWriter writer(logs, {.every = 1, .compress = true});
  const std::filesystem::path zst = writer.write_step(0, samples(0, 40)).path;
  const std::string bytes = testing::read_file(zst.string());

  SECTION("a truncated zstd frame") {
    const std::string cut = dir.write("rollouts/step-00000001.jsonl.zst", bytes.substr(0, bytes.size() / 2));
    const std::string message = message_of([&] { read_rollout_file({1, cut, true}); });
    CHECK_THAT(message, Catch::Contains(cut) && Catch::Contains("truncated") &&
                            Catch::Contains("byte " + std::to_string(bytes.size() / 2)));
  }
  SECTION("damaged compressed bytes (the frame's checksum catches what decoding alone would not)") {
    std::string damaged = bytes;
    damaged[damaged.size() / 2] = static_cast<char>(~damaged[damaged.size() / 2]);
    const std::string path = dir.write("rollouts/step-00000002.jsonl.zst", damaged);
    const std::string message = message_of([&] { read_rollout_file({2, path, true}); });
    CHECK_THAT(message, Catch::Contains(path) && Catch::Contains("compressed byte"));
  }
  SECTION("a line that is not a record, in a plain file") {
    const std::string good = to_json_line(sample(3, 0, 0, 1.0)) + "\n";
    const std::string path = dir.write("rollouts/step-00000003.jsonl", good + good + "{\"step\": 3, \"gro\n");
    const std::string message = message_of([&] { read_rollout_file({3, path, false}); });
    CHECK_THAT(message, Catch::Contains(path + ": line 3 (byte " + std::to_string(2 * good.size()) + ")"));
  }
  SECTION("a step file that is not zstd at all") {
    const std::string path = dir.write("rollouts/step-00000004.jsonl.zst", "plain text\n");
    CHECK_THAT(message_of([&] { rollout_content_bytes({4, path, true}); }), Catch::Contains(path));
    CHECK_THAT(message_of([&] { read_rollout_file({4, path, true}); }), Catch::Contains(path));
  }
}

TEST_CASE("views: worst and best orders, one-line excerpts, the table and TensorBoard's markdown") {
  std::vector<RolloutRecord> records = samples(2, 6);  // rewards 0, .5, 1, 0, .5, 1
  records[3].reward = std::nan("");
  const std::vector<RolloutRecord> worst = select_rollouts(records, RolloutOrder::kWorst, 2);
  REQUIRE(worst.size() == 2);
  CHECK(std::isnan(worst[0].reward));
  CHECK(worst[1].reward == 0.0);
  CHECK(worst[1].group == 0);  // stable: the first of the ties
  const std::vector<RolloutRecord> best = select_rollouts(records, RolloutOrder::kBest, 10);
  CHECK(best.size() == 6);
  CHECK(best[0].reward == 1.0);
  CHECK(best[0].group == 1);

  CHECK(excerpt("a\n\n  b\tc  ", 40) == "a b c");
  CHECK(excerpt("abcdefgh", 5) == "abcd…");
  CHECK(excerpt("abcdefgh", 5, true) == "…efgh");
  CHECK(excerpt("ab cd ef", 4) == "ab…");        // no space before the cut
  CHECK(excerpt("ab cd ef", 4, true) == "…ef");  // nor after it
  CHECK(excerpt("ünïcödé", 4) == "ünï…");        // cut by code point, never inside one

  // The prompt column keeps the prompt's end (whitespace runs as one space), the completion column its start.
  const std::string table = format_rollouts_table(worst, 30);
  CHECK_THAT(table, Catch::Contains("reward") && Catch::Contains("nan") &&
                        Catch::Contains("…What is 0 + 0? <|assistant|>") &&
                        Catch::Contains("The answer is 0. \"quoted\""));
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);

  const std::string json = rollouts_json(worst);
  CHECK(json.front() == '[');
  CHECK_THAT(json, Catch::Contains("\"completion\":"));

  const std::string markdown = rollout_samples_markdown(records, 3);
  CHECK(markdown.find("reward 1.000") < markdown.find("reward 0.000"));  // best first, then the worst
  CHECK_THAT(markdown, Catch::Contains("reward nan"));
}

}  // namespace spct::observe

namespace spct::observe {
namespace {

RolloutRecord with_notes() {
  RolloutRecord r = sample(4, 0, 1, 0.25);
  r.critiques = {{.chunk = 0,
                  .sample = 0,
                  .response = 2,
                  .score = 7,
                  .meta_score = 0,
                  .voted = true,
                  .text = "Principles: correctness.\nResponse 1 is wrong.\nResponse 2 is right.\n\\boxed{3, 7}"},
                 {.chunk = 0,
                  .sample = 1,
                  .response = 1,
                  .score = std::nan(""),
                  .meta_score = 0.75,
                  .voted = false,
                  .text = "no scores here"}};
  r.info = {{"math", R"({"extracted":"4"})"}, {"format", "{\"why\": \"too long [... 12 characters cut]"}};
  return r;
}

}  // namespace

TEST_CASE("critiques and info: keys only when present, a cut info stays a string, both read back") {
  const std::string plain = to_json_line(sample(4, 0, 1, 0.25));
  CHECK(plain.find("\"critiques\"") == std::string::npos);
  CHECK(plain.find("\"info\"") == std::string::npos);

  const RolloutRecord r = with_notes();
  const std::string line = to_json_line(r);
  CHECK(line.find('\n') == std::string::npos);
  CHECK_THAT(line, Catch::Contains(R"("info":{"math":{"extracted":"4"},"format":"{\"why\": \"too long [... 12)") &&
                       Catch::Contains(R"("response":2,"score":7.0,"meta_score":0.0,"voted":true)") &&
                       Catch::Contains(R"("score":null,"meta_score":0.75,"voted":false,"text":"no scores here")"));
  const RolloutRecord back = parse_json_line(line, "here");
  check_same(back, r);
  REQUIRE(back.critiques.size() == 2);
  CHECK(back.critiques[0].text == r.critiques[0].text);
  CHECK(back.critiques[0].response == 2);
  CHECK(back.critiques[0].score == 7);
  CHECK(std::isnan(back.critiques[1].score));
  CHECK(back.critiques[1].meta_score == 0.75);
  CHECK(back.info == r.info);
  CHECK(to_json_line(back) == line);  // a second round trip changes nothing
}

TEST_CASE("the table shows info and critique excerpts under their row, and --critiques the whole texts") {
  const std::vector<RolloutRecord> records = {with_notes(), sample(4, 0, 0, 1)};
  const std::string table = format_rollouts_table(records, 10);
  // Header, two rows, two info lines and two critique lines; excerpts of 20 characters on one line each.
  CHECK(std::count(table.begin(), table.end(), '\n') == 7);
  CHECK_THAT(table, Catch::Contains("info math: {\"extracted\":\"4\"}") &&
                        Catch::Contains("critique 0: Response 2 scored 7, voted: Principles: correct…") &&
                        Catch::Contains("critique 1: Response 1 scored ?, not voted, meta 0.750: no scores here"));
  const std::string full = format_rollouts_table(records, 10, true);
  CHECK_THAT(full, Catch::Contains("info format: {\"why\": \"too long [... 12 characters cut]") &&
                       Catch::Contains("critique 0: Response 2 scored 7, voted:\n") &&
                       Catch::Contains("\n            Response 2 is right.\n            \\boxed{3, 7}\n"));
  const std::string markdown = rollout_samples_markdown(records, 2);
  CHECK_THAT(markdown, Catch::Contains("    info math: {\"extracted\":\"4\"}\n") &&
                           Catch::Contains("    critique 0: Response 2 scored 7, voted: Principles: correctness."));
}

}  // namespace spct::observe
