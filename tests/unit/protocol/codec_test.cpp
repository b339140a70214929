// The wire format of protocol messages: round trips, and every way a buffer can be damaged (truncated at any
// offset, any single bit flipped, a payload shortened behind a valid header) ends in an InputError that names
// the message type, the field and the byte offset.
#include "core/protocol/codec.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/protocol/crc32.h"

using namespace spct::protocol;
using Catch::Matchers::Contains;

namespace {

PromptBatch sample_prompt_batch() {
  return PromptBatch{.step = 7,
                     .policy_version = 6,
                     .items = {{.prompt_id = 11, .prompt_tokens = {1, 2, 3}, .answer = "42", .group_size = 4},
                               {.prompt_id = 12, .prompt_tokens = {}, .answer = "", .group_size = 1}},
                     .reward_rank = 0,
                     .prompt_texts = {}};
}

GeneratedGroup sample_group() {
  return GeneratedGroup{
      .step = 3,
      .prompt_id = 99,
      .policy_version = 2,
      .completions = {
          {.tokens = {5, 6}, .logprobs = {-0.5f, -1.25f}, .finish_reason = FinishReason::kStop},
          {.tokens = {7, 8, 9}, .logprobs = {-0.1f, -0.2f, -3.0f}, .finish_reason = FinishReason::kLength}}};
}

// A rollout chunk on the direct route: its requests go to reward worker 3, with the prompts' texts.
PromptBatch sample_routed_chunk() {
  PromptBatch chunk = sample_prompt_batch();
  chunk.reward_rank = 3;
  chunk.prompt_texts = {"What is 6 * 7?", ""};
  return chunk;
}

ForwardList sample_forward_list() {
  return ForwardList{.step = 3, .prompt_ids = {99, 12}, .destinations = {5, 0}};
}

RewardRequest sample_request() {
  return reward_request_for(sample_group(), "What is 6 * 7?", "42");
}

RewardResult sample_result() {
  return RewardResult{
      .step = 3,
      .prompt_id = 99,
      .rewards = {1.0, -0.5},
      .breakdown = {{.name = "exact_match", .values = {1.0, 0.0}}, {.name = "format", .values = {0, -0.5}}},
      .metrics = {{"grm.parse_failures", 1.0}, {"reward.latency_s", 0.25}},
      .critiques = {{.chunk = 0,
                     .sample = 1,
                     .order = {1, 0},
                     .scores = {3, 9},
                     .meta_score = 1.5,
                     .voted = true,
                     .text = "Principles...\n\\boxed{3, 9}"},
                    {.chunk = 0, .sample = 2, .order = {0, 1}, .scores = {}, .voted = false, .text = "VOTEDMARK"}},
      .info = {{.name = "math", .values = {R"({"extracted":"4"})", ""}}}};
}

std::vector<Message> samples() {
  return {sample_prompt_batch(),
          sample_group(),
          sample_request(),
          sample_result(),
          Control{.kind = Control::Kind::kCheckpoint, .step = 12},
          StepReport{.step = 8, .metrics = {{"loss", 0.5}, {"kl", 0.01}}, .weights_digest = "ab12"},
          summary_of(sample_group()),
          sample_forward_list(),
          sample_routed_chunk()};
}

// Rewrites the header of `bytes` so that it describes its (possibly shortened) payload correctly: length and
// CRC match, so decoding gets past the header and must catch the damage field by field.
void fix_header(std::vector<uint8_t>& bytes) {
  const uint64_t length = bytes.size() - kHeaderBytes;
  const uint32_t crc = crc32(std::span<const uint8_t>(bytes).subspan(kHeaderBytes));
  std::memcpy(bytes.data() + 8, &length, 8);
  std::memcpy(bytes.data() + 16, &crc, 4);
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  try {
    decode(bytes);
  } catch (const spct::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("CRC-32 matches the standard check values", "[protocol]") {
  const std::string check = "123456789";
  CHECK(crc32({reinterpret_cast<const uint8_t*>(check.data()), check.size()}) == 0xCBF43926u);
  CHECK(crc32({}) == 0u);
  // Long enough to use the 8-byte loop and its tail: 1000 bytes of 'a' (zlib.crc32(b"a" * 1000)).
  const std::vector<uint8_t> a(1000, 'a');
  CHECK(crc32(a) == 0x9A38DA03u);
}

TEST_CASE("every message type survives a round trip", "[protocol]") {
  for (const Message& message : samples()) {
    INFO(message_type_name(type_of(message)));
    const std::vector<uint8_t> bytes = encode(message);
    CHECK(peek_type(bytes) == type_of(message));
    const Message back = decode(bytes);
    REQUIRE(back.index() == message.index());
    // Re-encoding the decoded message gives the same bytes: every field came back.
    CHECK(encode(back) == bytes);
  }
  const auto group = decode_as<GeneratedGroup>(encode(sample_group()));
  CHECK(group.completions.at(1).tokens == std::vector<int32_t>{7, 8, 9});
  CHECK(group.completions.at(1).logprobs.at(2) == -3.0f);
  CHECK(group.completions.at(1).finish_reason == FinishReason::kLength);
  // A reward request is the group without what rewards never read: the log-probs and the policy version.
  const auto request = decode_as<RewardRequest>(encode(sample_request()));
  CHECK(request.step == 3);
  CHECK(request.prompt_id == 99);
  REQUIRE(request.completions.size() == 2);
  CHECK(request.completions[1].tokens == std::vector<int32_t>{7, 8, 9});
  CHECK(request.completions[1].finish_reason == FinishReason::kLength);
  CHECK(request.prompt_text == "What is 6 * 7?");
  const std::size_t version_and_logprobs = 8 + (4 + 2 * 4) + (4 + 3 * 4);
  const std::size_t prompt_and_answer = (4 + 14) + (4 + 2);
  CHECK(encode(sample_request()).size() + version_and_logprobs == encode(sample_group()).size() + prompt_and_answer);
  const auto report = decode_as<StepReport>(encode(samples().at(5)));
  CHECK(report.metrics.at(1).first == "kl");
  CHECK(report.weights_digest == "ab12");
  const auto result = decode_as<RewardResult>(encode(sample_result()));
  CHECK(result.breakdown.at(1).name == "format");
  CHECK(result.metrics.at(1).second == 0.25);
  REQUIRE(result.critiques.size() == 2);
  CHECK(result.critiques[0].order == std::vector<uint32_t>{1, 0});
  CHECK(result.critiques[0].scores == std::vector<int32_t>{3, 9});
  CHECK(result.critiques[0].voted);
  CHECK(result.critiques[0].meta_score == 1.5);
  CHECK(result.critiques[1].text == "VOTEDMARK");
  CHECK(result.info.at(0).values == std::vector<std::string>{R"({"extracted":"4"})", ""});
  // What the orchestrator reads of a group it does not hold: lengths and finish reasons, no tokens.
  const auto summary = decode_as<GroupSummary>(encode(summary_of(sample_group())));
  CHECK(summary.prompt_id == 99);
  CHECK(summary.policy_version == 2);
  REQUIRE(summary.completions.size() == 2);
  CHECK(summary.completions[1].tokens == 3);
  CHECK(summary.completions[1].finish_reason == FinishReason::kLength);
  const auto list = decode_as<ForwardList>(encode(sample_forward_list()));
  CHECK(list.prompt_ids == std::vector<uint64_t>{99, 12});
  CHECK(list.destinations == std::vector<int32_t>{5, 0});
  const auto chunk = decode_as<PromptBatch>(encode(sample_routed_chunk()));
  CHECK(chunk.reward_rank == 3);
  CHECK(chunk.prompt_texts == std::vector<std::string>{"What is 6 * 7?", ""});
  // The route costs a learner's share (no routing) 8 bytes: the rank and an empty list of texts.
  const auto share = decode_as<PromptBatch>(encode(sample_prompt_batch()));
  CHECK(share.reward_rank == 0);
  CHECK(share.prompt_texts.empty());
}

TEST_CASE("a routed chunk and a forward list must be consistent", "[protocol]") {
  PromptBatch chunk = sample_routed_chunk();
  chunk.prompt_texts.pop_back();
  CHECK_THAT(decode_error(encode(chunk)),
             Contains("PromptBatch message: field 'prompt_texts'") &&
                 Contains("1 prompt texts for 2 items; there must be one per item or none"));
  ForwardList list = sample_forward_list();
  list.destinations.pop_back();
  CHECK_THAT(decode_error(encode(list)), Contains("ForwardList message: field 'destinations'") &&
                                             Contains("1 destinations for 2 prompt ids; there must be one per id"));
}

TEST_CASE("the header layout is as documented", "[protocol]") {
  const std::vector<uint8_t> bytes = encode(Control{.kind = Control::Kind::kShutdown, .step = 5});
  REQUIRE(bytes.size() == kHeaderBytes + 9);
  CHECK(std::string(bytes.begin(), bytes.begin() + 4) == "SPCT");
  CHECK(bytes[4] == kFormatVersion);
  CHECK(bytes[6] == static_cast<uint8_t>(MessageType::kControl));
  CHECK(bytes[8] == 9);
  CHECK(bytes[kHeaderBytes] == static_cast<uint8_t>(Control::Kind::kShutdown));
  CHECK(bytes[kHeaderBytes + 1] == 5);
}

TEST_CASE("decode_as names both types when the message is another one", "[protocol]") {
  CHECK_THROWS_WITH(decode_as<RewardResult>(encode(sample_group())),
                    Contains("expected a RewardResult message, got a GeneratedGroup"));
}

TEST_CASE("truncation at every offset is an InputError", "[protocol]") {
  for (const Message& message : samples()) {
    const std::vector<uint8_t> bytes = encode(message);
    const std::string name = message_type_name(type_of(message));
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      INFO(name << " cut at " << cut);
      const std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      const std::string error = decode_error(truncated);
      REQUIRE(!error.empty());
      if (cut < kHeaderBytes) {
        CHECK_THAT(error, Contains("truncated header"));
      } else {
        CHECK_THAT(error, Contains(name) && Contains("payload_length") && Contains("truncated"));
      }
    }
  }
}

TEST_CASE("a payload cut behind a valid header names the field and offset", "[protocol]") {
  for (const Message& message : samples()) {
    const std::vector<uint8_t> bytes = encode(message);
    const std::string name = message_type_name(type_of(message));
    for (size_t cut = kHeaderBytes; cut < bytes.size(); ++cut) {
      INFO(name << " payload cut at " << cut);
      std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      fix_header(truncated);
      const std::string error = decode_error(truncated);
      REQUIRE(!error.empty());
      CHECK_THAT(error, Contains(name + " message: field '") && Contains("at byte "));
    }
  }
  // One exact case: a PromptBatch cut after the second item's (empty) token ids. Payload: step 8, version 8,
  // item count 4, the first item 34 bytes (id 8, 3 tokens 4+12, "42" 4+2, group size 4), then the second
  // item's id 8 and token count 4: the answer's length field at byte 20 + 66 is missing.
  std::vector<uint8_t> bytes = encode(sample_prompt_batch());
  bytes.resize(kHeaderBytes + 8 + 8 + 4 + 34 + 8 + 4);
  fix_header(bytes);
  CHECK_THAT(decode_error(bytes), Contains("PromptBatch message: field 'items[1].answer (count)' at byte 86: "
                                           "truncated: needs 4 bytes, the payload has 0 left"));
}

TEST_CASE("any single flipped bit is detected", "[protocol]") {
  for (const Message& message : samples()) {
    const std::vector<uint8_t> bytes = encode(message);
    for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::vector<uint8_t> flipped = bytes;
      flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      INFO(message_type_name(type_of(message)) << " bit " << bit);
      // No single flip turns version 4 into a version this build also reads (2 or 3).
      CHECK_THROWS_AS(decode(flipped), spct::InputError);
    }
  }
  std::vector<uint8_t> bytes = encode(sample_group());
  bytes[kHeaderBytes + 3] ^= 0x10;
  CHECK_THAT(decode_error(bytes), Contains("GeneratedGroup message: payload bytes 20..") && Contains("checksum"));
}

TEST_CASE("header damage names the header field", "[protocol]") {
  std::vector<uint8_t> bytes = encode(sample_group());
  SECTION("magic") {
    bytes[0] = 'X';
    CHECK_THAT(decode_error(bytes), Contains("field 'magic' at byte 0"));
  }
  SECTION("format version") {
    bytes[4] = kFormatVersion + 1;
    CHECK_THAT(decode_error(bytes),
               Contains("field 'format_version' at byte 4: version " + std::to_string(kFormatVersion + 1) +
                        ", this build reads version " + std::to_string(kFormatVersion)));
  }
  SECTION("a frame of format version 1 (implicit end markers, no critiques or info in RewardResult)") {
    bytes[4] = 1;
    CHECK_THAT(decode_error(bytes),
               Contains("field 'format_version' at byte 4: version 1, this build reads version 4"));
  }
  SECTION("a frame of format version 2 decodes unless it is a RewardRequest (the only type version 3 changed)") {
    bytes[4] = 2;
    CHECK(decode_as<GeneratedGroup>(bytes).completions.at(1).logprobs.at(2) == -3.0f);
    std::vector<uint8_t> request = encode(sample_request());
    request[4] = 2;
    CHECK_THAT(decode_error(request),
               Contains("field 'format_version' at byte 4: version 2, this build reads version 4"));
  }
  SECTION("a PromptBatch of format version 3 (no routing) decodes; the types version 4 added do not") {
    // A version-3 PromptBatch ends after its items: the 8 bytes of an empty route are not there.
    std::vector<uint8_t> old = encode(sample_prompt_batch());
    old.resize(old.size() - 8);
    old[4] = 3;
    fix_header(old);
    const auto batch = decode_as<PromptBatch>(old);
    CHECK(batch.items.at(0).answer == "42");
    CHECK(batch.reward_rank == 0);
    std::vector<uint8_t> summary = encode(summary_of(sample_group()));
    summary[4] = 3;
    CHECK_THAT(decode_error(summary),
               Contains("field 'format_version' at byte 4: version 3, this build reads version 4"));
  }
  SECTION("type") {
    bytes[6] = 77;
    CHECK_THAT(decode_error(bytes), Contains("field 'type' at byte 6: unknown message type 77"));
  }
  SECTION("trailing bytes") {
    bytes.push_back(0);
    CHECK_THAT(decode_error(bytes),
               Contains("GeneratedGroup message: field 'payload_length' at byte 8") && Contains("trailing bytes"));
  }
}

TEST_CASE("invalid values behind a valid checksum are named", "[protocol]") {
  SECTION("finish reason") {
    std::vector<uint8_t> bytes = encode(sample_group());
    // The first completion's finish reason: header 20, step/prompt/version 24, count 4, tokens 4+8, logprobs 4+8.
    const size_t at = kHeaderBytes + 24 + 4 + 12 + 12;
    REQUIRE(bytes[at] == static_cast<uint8_t>(FinishReason::kStop));
    bytes[at] = 9;
    fix_header(bytes);
    CHECK_THAT(decode_error(bytes),
               Contains("GeneratedGroup message: field 'completions[0].finish_reason' at byte 72: invalid value 9"));
  }
  SECTION("log-probs that do not match the tokens") {
    GeneratedGroup group = sample_group();
    group.completions[1].logprobs.pop_back();
    CHECK_THAT(decode_error(encode(group)),
               Contains("completions[1].logprobs") && Contains("2 log-probs for 3 tokens"));
  }
  SECTION("a reward request's finish reason") {
    std::vector<uint8_t> bytes = encode(sample_request());
    // The second completion's finish reason: header 20, step/prompt 16, count 4, tokens 4+8 and reason 1, tokens 4+12.
    const size_t at = kHeaderBytes + 16 + 4 + 13 + 16;
    REQUIRE(bytes[at] == static_cast<uint8_t>(FinishReason::kLength));
    bytes[at] = 2;
    fix_header(bytes);
    CHECK_THAT(decode_error(bytes),
               Contains("RewardRequest message: field 'completions[1].finish_reason' at byte 69: invalid value 2"));
  }
  SECTION("control kind") {
    std::vector<uint8_t> bytes = encode(Control{.kind = Control::Kind::kStop, .step = 1});
    bytes[kHeaderBytes] = 7;  // one past the last kind, kEndScoring
    fix_header(bytes);
    CHECK_THAT(decode_error(bytes), Contains("Control message: field 'kind' at byte 20: invalid value 7"));
  }
  SECTION("a critique's scores that do not match its responses, and its voted flag") {
    RewardResult result = sample_result();
    result.critiques[0].scores.pop_back();
    CHECK_THAT(decode_error(encode(result)),
               Contains("field 'critiques[0].scores'") && Contains("1 scores for 2 responses"));
    std::vector<uint8_t> bytes = encode(sample_result());
    const std::string mark = "VOTEDMARK";
    const auto found = std::search(bytes.begin(), bytes.end(), mark.begin(), mark.end());
    REQUIRE(found != bytes.end());
    const auto voted_at = static_cast<size_t>(found - bytes.begin()) - 4 - 1;  // before the text's length
    REQUIRE(bytes[voted_at] == 0);
    bytes[voted_at] = 2;
    fix_header(bytes);
    CHECK_THAT(decode_error(bytes),
               Contains("field 'critiques[1].voted' at byte " + std::to_string(voted_at) + ": invalid value 2"));
  }
  SECTION("a huge count does not allocate") {
    std::vector<uint8_t> bytes = encode(sample_result());
    const uint32_t huge = 0xFFFFFFF0u;
    std::memcpy(bytes.data() + kHeaderBytes + 16, &huge, 4);  // the rewards count
    fix_header(bytes);
    CHECK_THAT(decode_error(bytes), Contains("RewardResult message: field 'rewards' at byte 36: count 4294967280"));
  }
}

TEST_CASE("every Control kind, the end markers included, survives a round trip and is named", "[protocol]") {
  const auto last = static_cast<uint8_t>(Control::kLastKind);
  for (uint8_t kind = 0; kind <= last; ++kind) {
    const Control sent{.kind = static_cast<Control::Kind>(kind), .step = 41};
    const Control got = decode_as<Control>(encode(sent));
    CHECK(got.kind == sent.kind);
    CHECK(got.step == 41);
    CHECK_THAT(describe(got), !Contains("unknown") && Contains(", step 41}"));
  }
  CHECK(describe(Control{.kind = Control::Kind::kEndGeneration, .step = 3}) == "Control {kEndGeneration, step 3}");
  CHECK(describe(Control{.kind = Control::Kind::kEndScoring, .step = 3}) == "Control {kEndScoring, step 3}");
}
