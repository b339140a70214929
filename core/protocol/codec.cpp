#include "core/protocol/codec.h"

#include <fmt/format.h>

#include <cstring>

#include "core/error.h"
#include "core/protocol/crc32.h"
#include "core/protocol/wire.h"

namespace spct::protocol {

namespace {

static_assert(std::variant_size_v<Message> == 8, "a new message type needs a MessageType, write() and read()");

// ---- Encoding: fields in declaration order (messages.h). ----

void write(WireWriter& w, const PromptBatch& m) {
  w.put(m.step);
  w.put(m.policy_version);
  w.put_count(m.items.size());
  for (const PromptItem& item : m.items) {
    w.put(item.prompt_id);
    w.put_array(item.prompt_tokens);
    w.put_string(item.answer);
    w.put(item.group_size);
  }
  w.put(m.reward_rank);
  w.put_count(m.prompt_texts.size());
  for (const std::string& text : m.prompt_texts) w.put_string(text);
}

void write(WireWriter& w, const GeneratedGroup& m) {
  w.put(m.step);
  w.put(m.prompt_id);
  w.put(m.policy_version);
  w.put_count(m.completions.size());
  for (const Completion& c : m.completions) {
    w.put_array(c.tokens);
    w.put_array(c.logprobs);
    w.put(static_cast<uint8_t>(c.finish_reason));
  }
}

void write(WireWriter& w, const RewardRequest& m) {
  w.put(m.step);
  w.put(m.prompt_id);
  w.put_count(m.completions.size());
  for (const ScoredCompletion& c : m.completions) {
    w.put_array(c.tokens);
    w.put(static_cast<uint8_t>(c.finish_reason));
  }
  w.put_string(m.prompt_text);
  w.put_string(m.answer);
}

void write(WireWriter& w, const RewardResult& m) {
  w.put(m.step);
  w.put(m.prompt_id);
  w.put_array(m.rewards);
  w.put_count(m.breakdown.size());
  for (const RewardComponent& c : m.breakdown) {
    w.put_string(c.name);
    w.put_array(c.values);
  }
  w.put_count(m.metrics.size());
  for (const auto& [name, value] : m.metrics) {
    w.put_string(name);
    w.put(value);
  }
  w.put_count(m.critiques.size());
  for (const GrmCritique& c : m.critiques) {
    w.put(c.chunk);
    w.put(c.sample);
    w.put_array(c.order);
    w.put_array(c.scores);
    w.put(c.meta_score);
    w.put(static_cast<uint8_t>(c.voted ? 1 : 0));
    w.put_string(c.text);
  }
  w.put_count(m.info.size());
  for (const RewardInfo& info : m.info) {
    w.put_string(info.name);
    w.put_count(info.values.size());
    for (const std::string& value : info.values) w.put_string(value);
  }
}

void write(WireWriter& w, const Control& m) {
  w.put(static_cast<uint8_t>(m.kind));
  w.put(m.step);
}

void write(WireWriter& w, const StepReport& m) {
  w.put(m.step);
  w.put_count(m.metrics.size());
  for (const auto& [name, value] : m.metrics) {
    w.put_string(name);
    w.put(value);
  }
  w.put_string(m.weights_digest);
}

void write(WireWriter& w, const GroupSummary& m) {
  w.put(m.step);
  w.put(m.prompt_id);
  w.put(m.policy_version);
  w.put_count(m.completions.size());
  for (const CompletionSummary& c : m.completions) {
    w.put(c.tokens);
    w.put(static_cast<uint8_t>(c.finish_reason));
  }
}

void write(WireWriter& w, const ForwardList& m) {
  w.put(m.step);
  w.put_array(m.prompt_ids);
  w.put_array(m.destinations);
}

// ---- Decoding: the same order; field names as a reader of messages.h would write them. ----

std::string at(const std::string& field, size_t i) {
  return fmt::format("{}[{}]", field, i);
}

// `routed`: the frame has the routing fields of version 4 (earlier ones end after the items).
PromptBatch read_prompt_batch(WireReader& r, bool routed) {
  PromptBatch m;
  m.step = r.get<uint64_t>("step");
  m.policy_version = r.get<uint64_t>("policy_version");
  // An item takes at least 8 + 4 + 4 + 4 bytes.
  m.items.resize(r.get_count("items", 20));
  for (size_t i = 0; i < m.items.size(); ++i) {
    PromptItem& item = m.items[i];
    const std::string base = at("items", i);
    item.prompt_id = r.get<uint64_t>(base + ".prompt_id");
    item.prompt_tokens = r.get_array<int32_t>(base + ".prompt_tokens");
    item.answer = r.get_string(base + ".answer");
    item.group_size = r.get<uint32_t>(base + ".group_size");
  }
  if (!routed) return m;
  m.reward_rank = r.get<int32_t>("reward_rank");
  const size_t texts_at = r.offset();
  m.prompt_texts.resize(r.get_count("prompt_texts", 4));
  for (size_t i = 0; i < m.prompt_texts.size(); ++i) m.prompt_texts[i] = r.get_string(at("prompt_texts", i));
  if (!m.prompt_texts.empty() && m.prompt_texts.size() != m.items.size()) {
    r.fail("prompt_texts", texts_at,
           fmt::format("{} prompt texts for {} items; there must be one per item or none", m.prompt_texts.size(),
                       m.items.size()));
  }
  return m;
}

FinishReason read_finish_reason(WireReader& r, const std::string& field) {
  const size_t reason_at = r.offset();
  const auto reason = r.get<uint8_t>(field);
  if (reason > static_cast<uint8_t>(FinishReason::kLength)) {
    r.fail(field, reason_at, fmt::format("invalid value {} (0 = stop, 1 = length)", reason));
  }
  return static_cast<FinishReason>(reason);
}

GeneratedGroup read_generated_group(WireReader& r) {
  GeneratedGroup m;
  m.step = r.get<uint64_t>("step");
  m.prompt_id = r.get<uint64_t>("prompt_id");
  m.policy_version = r.get<uint64_t>("policy_version");
  m.completions.resize(r.get_count("completions", 9));  // two counts and a finish reason
  for (size_t i = 0; i < m.completions.size(); ++i) {
    Completion& c = m.completions[i];
    const std::string base = at("completions", i);
    c.tokens = r.get_array<int32_t>(base + ".tokens");
    const size_t logprobs_at = r.offset();
    c.logprobs = r.get_array<float>(base + ".logprobs");
    if (c.logprobs.size() != c.tokens.size()) {
      r.fail(
          base + ".logprobs", logprobs_at,
          fmt::format("{} log-probs for {} tokens; there must be one per token", c.logprobs.size(), c.tokens.size()));
    }
    c.finish_reason = read_finish_reason(r, base + ".finish_reason");
  }
  return m;
}

RewardRequest read_reward_request(WireReader& r) {
  RewardRequest m;
  m.step = r.get<uint64_t>("step");
  m.prompt_id = r.get<uint64_t>("prompt_id");
  m.completions.resize(r.get_count("completions", 5));  // a count and a finish reason
  for (size_t i = 0; i < m.completions.size(); ++i) {
    ScoredCompletion& c = m.completions[i];
    const std::string base = at("completions", i);
    c.tokens = r.get_array<int32_t>(base + ".tokens");
    c.finish_reason = read_finish_reason(r, base + ".finish_reason");
  }
  m.prompt_text = r.get_string("prompt_text");
  m.answer = r.get_string("answer");
  return m;
}

RewardResult read_reward_result(WireReader& r) {
  RewardResult m;
  m.step = r.get<uint64_t>("step");
  m.prompt_id = r.get<uint64_t>("prompt_id");
  m.rewards = r.get_array<double>("rewards");
  m.breakdown.resize(r.get_count("breakdown", 8));
  for (size_t i = 0; i < m.breakdown.size(); ++i) {
    const std::string base = at("breakdown", i);
    m.breakdown[i].name = r.get_string(base + ".name");
    m.breakdown[i].values = r.get_array<double>(base + ".values");
  }
  m.metrics.resize(r.get_count("metrics", 12));
  for (size_t i = 0; i < m.metrics.size(); ++i) {
    const std::string base = at("metrics", i);
    m.metrics[i].first = r.get_string(base + ".name");
    m.metrics[i].second = r.get<double>(base + ".value");
  }
  // A critique takes at least 4 + 4 + 4 + 4 + 8 + 1 + 4 bytes.
  m.critiques.resize(r.get_count("critiques", 29));
  for (size_t i = 0; i < m.critiques.size(); ++i) {
    GrmCritique& c = m.critiques[i];
    const std::string base = at("critiques", i);
    c.chunk = r.get<uint32_t>(base + ".chunk");
    c.sample = r.get<uint32_t>(base + ".sample");
    c.order = r.get_array<uint32_t>(base + ".order");
    const size_t scores_at = r.offset();
    c.scores = r.get_array<int32_t>(base + ".scores");
    if (!c.scores.empty() && c.scores.size() != c.order.size()) {
      r.fail(base + ".scores", scores_at,
             fmt::format("{} scores for {} responses; there must be one per response or none", c.scores.size(),
                         c.order.size()));
    }
    c.meta_score = r.get<double>(base + ".meta_score");
    const size_t voted_at = r.offset();
    const auto voted = r.get<uint8_t>(base + ".voted");
    if (voted > 1) r.fail(base + ".voted", voted_at, fmt::format("invalid value {} (0 = no, 1 = yes)", voted));
    c.voted = voted == 1;
    c.text = r.get_string(base + ".text");
  }
  m.info.resize(r.get_count("info", 8));  // a name and a count
  for (size_t i = 0; i < m.info.size(); ++i) {
    const std::string base = at("info", i);
    m.info[i].name = r.get_string(base + ".name");
    m.info[i].values.resize(r.get_count(base + ".values", 4));
    for (size_t k = 0; k < m.info[i].values.size(); ++k) m.info[i].values[k] = r.get_string(at(base + ".values", k));
  }
  return m;
}

Control read_control(WireReader& r) {
  Control m;
  const size_t kind_at = r.offset();
  const auto kind = r.get<uint8_t>("kind");
  if (kind > static_cast<uint8_t>(Control::kLastKind)) {
    r.fail("kind", kind_at,
           fmt::format("invalid value {} (0 = stop, 1 = checkpoint, 2 = shutdown, 3 = step done, 4 = begin step, "
                       "5 = end generation, 6 = end scoring)",
                       kind));
  }
  m.kind = static_cast<Control::Kind>(kind);
  m.step = r.get<uint64_t>("step");
  return m;
}

StepReport read_step_report(WireReader& r) {
  StepReport m;
  m.step = r.get<uint64_t>("step");
  m.metrics.resize(r.get_count("metrics", 12));
  for (size_t i = 0; i < m.metrics.size(); ++i) {
    const std::string base = at("metrics", i);
    m.metrics[i].first = r.get_string(base + ".name");
    m.metrics[i].second = r.get<double>(base + ".value");
  }
  m.weights_digest = r.get_string("weights_digest");
  return m;
}

GroupSummary read_group_summary(WireReader& r) {
  GroupSummary m;
  m.step = r.get<uint64_t>("step");
  m.prompt_id = r.get<uint64_t>("prompt_id");
  m.policy_version = r.get<uint64_t>("policy_version");
  m.completions.resize(r.get_count("completions", 5));  // a length and a finish reason
  for (size_t i = 0; i < m.completions.size(); ++i) {
    const std::string base = at("completions", i);
    m.completions[i].tokens = r.get<uint32_t>(base + ".tokens");
    m.completions[i].finish_reason = read_finish_reason(r, base + ".finish_reason");
  }
  return m;
}

ForwardList read_forward_list(WireReader& r) {
  ForwardList m;
  m.step = r.get<uint64_t>("step");
  m.prompt_ids = r.get_array<uint64_t>("prompt_ids");
  const size_t destinations_at = r.offset();
  m.destinations = r.get_array<int32_t>("destinations");
  if (m.destinations.size() != m.prompt_ids.size()) {
    r.fail("destinations", destinations_at,
           fmt::format("{} destinations for {} prompt ids; there must be one per id", m.destinations.size(),
                       m.prompt_ids.size()));
  }
  return m;
}

bool known_type(uint16_t type) {
  return type >= static_cast<uint16_t>(MessageType::kPromptBatch) &&
         type <= static_cast<uint16_t>(MessageType::kForwardList);
}

// Which earlier versions' frames of `type` this build still reads (codec.h): 2 and 3 for the types they had,
// except a version-2 RewardRequest.
bool readable(uint16_t version, uint16_t type) {
  if (version == kFormatVersion) return true;
  if (type > static_cast<uint16_t>(MessageType::kStepReport)) return false;
  return version == 3 || (version == 2 && type != static_cast<uint16_t>(MessageType::kRewardRequest));
}

// Header field reads: the whole header is known to be present before these run.
template <class T>
T header_field(std::span<const uint8_t> bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

void check_header_start(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes) {
    throw InputError(fmt::format("protocol message: truncated header at byte {}: needs {} bytes, the buffer has {}",
                                 bytes.size(), kHeaderBytes, bytes.size()));
  }
  const auto magic = header_field<uint32_t>(bytes, 0);
  if (magic != kMagic) {
    throw InputError(
        fmt::format("protocol message: field 'magic' at byte 0: 0x{:08x} is not a spct message "
                    "(expected 0x{:08x})",
                    magic, kMagic));
  }
}

}  // namespace

std::vector<uint8_t> encode(const Message& message) {
  std::vector<uint8_t> out(kHeaderBytes);
  WireWriter w(out);
  std::visit([&w](const auto& m) { write(w, m); }, message);
  const uint64_t payload_bytes = out.size() - kHeaderBytes;
  const uint32_t crc = crc32(std::span<const uint8_t>(out).subspan(kHeaderBytes));
  const uint16_t type = static_cast<uint16_t>(type_of(message));
  std::memcpy(out.data() + 0, &kMagic, 4);
  std::memcpy(out.data() + 4, &kFormatVersion, 2);
  std::memcpy(out.data() + 6, &type, 2);
  std::memcpy(out.data() + 8, &payload_bytes, 8);
  std::memcpy(out.data() + 16, &crc, 4);
  return out;
}

MessageType peek_type(std::span<const uint8_t> bytes) {
  check_header_start(bytes);
  return static_cast<MessageType>(header_field<uint16_t>(bytes, 6));
}

Message decode(std::span<const uint8_t> bytes) {
  check_header_start(bytes);
  const auto version = header_field<uint16_t>(bytes, 4);
  const auto type = header_field<uint16_t>(bytes, 6);
  const auto payload_bytes = header_field<uint64_t>(bytes, 8);
  const auto crc = header_field<uint32_t>(bytes, 16);
  if (!readable(version, type)) {
    throw InputError(
        fmt::format("protocol message: field 'format_version' at byte 4: version {}, this build reads "
                    "version {} (mixed spct builds in one job?)",
                    version, kFormatVersion));
  }
  if (!known_type(type)) {
    throw InputError(fmt::format("protocol message: field 'type' at byte 6: unknown message type {}", type));
  }
  const std::string name = message_type_name(static_cast<MessageType>(type));
  const size_t have = bytes.size() - kHeaderBytes;
  if (payload_bytes != have) {
    throw InputError(
        fmt::format("{} message: field 'payload_length' at byte 8: the header says {} payload bytes, "
                    "the buffer holds {} ({})",
                    name, payload_bytes, have, payload_bytes > have ? "truncated" : "trailing bytes"));
  }
  const std::span<const uint8_t> payload = bytes.subspan(kHeaderBytes);
  const uint32_t actual = crc32(payload);
  if (actual != crc) {
    throw InputError(
        fmt::format("{} message: payload bytes {}..{} fail their checksum (CRC-32 0x{:08x}, the header "
                    "at byte 16 says 0x{:08x}): corrupted in transit",
                    name, kHeaderBytes, bytes.size(), actual, crc));
  }

  WireReader r(payload, kHeaderBytes, name);
  Message message;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kPromptBatch: message = read_prompt_batch(r, version >= 4); break;
    case MessageType::kGeneratedGroup: message = read_generated_group(r); break;
    case MessageType::kRewardRequest: message = read_reward_request(r); break;
    case MessageType::kRewardResult: message = read_reward_result(r); break;
    case MessageType::kControl: message = read_control(r); break;
    case MessageType::kStepReport: message = read_step_report(r); break;
    case MessageType::kGroupSummary: message = read_group_summary(r); break;
    case MessageType::kForwardList: message = read_forward_list(r); break;
  }
  r.expect_end();
  return message;
}

void throw_unexpected_type(MessageType got, MessageType wanted) {
  throw InputError(fmt::format("expected a {} message, got a {}", message_type_name(wanted), message_type_name(got)));
}

}  // namespace spct::protocol
