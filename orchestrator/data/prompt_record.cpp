#include "orchestrator/data/prompt_record.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "core/error.h"

namespace spct::data {

namespace {

using nlohmann::json;

// Where a problem is, for messages: "data.jsonl:12: ", "data.parquet: row 3: ".
class LineContext {
 public:
  explicit LineContext(std::string prefix) : prefix_(std::move(prefix)) {}
  [[noreturn]] void fail(const std::string& problem) const { throw InputError(prefix_ + problem); }

 private:
  const std::string prefix_;
};

std::string type_of(const json& value) {
  return value.type_name();
}

std::string required_string(const json& object, const std::string& key, const std::string& where,
                            const LineContext& at) {
  const auto it = object.find(key);
  if (it == object.end()) at.fail(where + "missing \"" + key + "\"");
  if (!it->is_string()) at.fail(where + "\"" + key + "\" must be a string, not " + type_of(*it));
  return it->get<std::string>();
}

std::vector<ChatMessage> parse_messages(const json& messages, const std::string& key, const LineContext& at) {
  if (!messages.is_array()) at.fail("\"" + key + "\" must be a list of {role, content}, not " + type_of(messages));
  if (messages.empty()) at.fail("\"" + key + "\" is empty");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string where = key + "[" + std::to_string(i) + "]: ";
    if (!messages[i].is_object()) at.fail(where + "must be an object {role, content}, not " + type_of(messages[i]));
    ChatMessage message{required_string(messages[i], "role", where, at),
                        required_string(messages[i], "content", where, at)};
    if (message.role.empty()) at.fail(where + "\"role\" is empty");
    out.push_back(std::move(message));
  }
  return out;
}

// A string answer as written; a number as JSON writes it (an integer 42 -> "42"); then the extraction's part.
std::string parse_answer(const json& object, const JsonlOptions& options, const LineContext& at) {
  const std::string& key = options.fields.answer;
  const auto it = object.find(key);
  if (it == object.end()) at.fail("missing \"" + key + "\"");
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_number()) {
    text = it->dump();
  } else {
    at.fail("\"" + key + "\" must be a string or a number, not " + type_of(*it));
  }
  std::optional<std::string> answer = extract_reference_answer(text, options.answer_extraction);
  if (!answer) {
    at.fail("\"" + key + "\" has no final answer to extract (" +
            (options.answer_extraction == ReferenceExtraction::kGsm8k ? "no \"#### <answer>\"" : "no \\boxed{...}") +
            "): \"" + text.substr(0, 80) + "\"");
  }
  return *answer;
}

std::string parse_id(const json& object, const std::string& key, const std::string& fallback_id,
                     const LineContext& at) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback_id;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  at.fail("\"" + key + "\" must be a string or an integer, not " + type_of(*it));
}

PromptItem parse_item(const json& object, const std::string& fallback_id, const JsonlOptions& options,
                      const LineContext& at) {
  PromptItem item;
  const JsonlFields& fields = options.fields;
  const bool has_prompt = object.contains(fields.prompt) && !object[fields.prompt].is_null();
  const bool has_messages = object.contains(fields.messages) && !object[fields.messages].is_null();
  if (has_prompt == has_messages) {
    at.fail(has_prompt ? "has both \"" + fields.prompt + "\" and \"" + fields.messages + "\": use one"
                       : "needs \"" + fields.prompt + "\" (text) or \"" + fields.messages + "\" (chat turns)");
  }
  if (has_prompt) {
    item.prompt = required_string(object, fields.prompt, "", at);
    if (item.prompt.empty()) at.fail("\"" + fields.prompt + "\" is empty");
  } else {
    item.messages = parse_messages(object[fields.messages], fields.messages, at);
  }
  item.answer = parse_answer(object, options, at);
  item.id = parse_id(object, fields.id, fallback_id, at);
  return item;
}

}  // namespace

PromptRecords::PromptRecords(std::string path, JsonlOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

std::string PromptRecords::prefix(const std::string& place) const {
  return place.starts_with("row ") ? path_ + ": " + place + ": " : path_ + ":" + place + ": ";
}

void PromptRecords::add(const json& object, const std::string& place, const std::string& fallback_id) {
  const LineContext at(prefix(place));
  PromptItem item = parse_item(object, fallback_id, options_, at);
  if (const auto [it, inserted] = id_places_.emplace(item.id, place); !inserted) {
    at.fail("id \"" + item.id + "\" repeats the id on " + (it->second.starts_with("row ") ? "" : "line ") + it->second);
  }
  if (options_.count_tokens && options_.max_prompt_tokens > 0) {
    const int64_t tokens = options_.count_tokens(item);
    if (tokens > options_.max_prompt_tokens) {
      at.fail("prompt has " + std::to_string(tokens) +
              " tokens, more than data.max_prompt_tokens = " + std::to_string(options_.max_prompt_tokens));
    }
  }
  items_.push_back(std::move(item));
}

std::vector<PromptItem> PromptRecords::take(const std::string& why) {
  if (items_.empty()) throw InputError(path_ + ": the dataset has no prompts (" + why + ")");
  return std::move(items_);
}

}  // namespace spct::data
