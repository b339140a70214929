#include "orchestrator/data/jsonl_dataset.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/sha256.h"

namespace spct::data {

namespace {

using nlohmann::json;

// Where a problem is, for messages: "data.jsonl:12".
class LineContext {
 public:
  LineContext(const std::string& path, int64_t line) : prefix_(path + ":" + std::to_string(line) + ": ") {}
  [[noreturn]] void fail(const std::string& problem) const { throw InputError(prefix_ + problem); }

 private:
  const std::string prefix_;
};

std::string type_of(const json& value) {
  return value.type_name();
}

std::string required_string(const json& object, const char* key, const std::string& where, const LineContext& at) {
  const auto it = object.find(key);
  if (it == object.end()) at.fail(where + "missing \"" + key + "\"");
  if (!it->is_string()) at.fail(where + "\"" + key + "\" must be a string, not " + type_of(*it));
  return it->get<std::string>();
}

std::vector<ChatMessage> parse_messages(const json& messages, const LineContext& at) {
  if (!messages.is_array()) at.fail("\"messages\" must be a list of {role, content}, not " + type_of(messages));
  if (messages.empty()) at.fail("\"messages\" is empty");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]: ";
    if (!messages[i].is_object()) at.fail(where + "must be an object {role, content}, not " + type_of(messages[i]));
    ChatMessage message{required_string(messages[i], "role", where, at),
                        required_string(messages[i], "content", where, at)};
    if (message.role.empty()) at.fail(where + "\"role\" is empty");
    out.push_back(std::move(message));
  }
  return out;
}

// A string answer as written; a number as JSON writes it (an integer 42 -> "42").
std::string parse_answer(const json& object, const LineContext& at) {
  const auto it = object.find("answer");
  if (it == object.end()) at.fail("missing \"answer\"");
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  at.fail("\"answer\" must be a string or a number, not " + type_of(*it));
}

std::string parse_id(const json& object, int64_t line, const LineContext& at) {
  const auto it = object.find("id");
  if (it == object.end()) return "line-" + std::to_string(line);
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  at.fail("\"id\" must be a string or an integer, not " + type_of(*it));
}

PromptItem parse_item(const std::string& text, int64_t line, const LineContext& at) {
  json object;
  try {
    object = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann's message carries the column ("at line 1, column 17").
    at.fail(std::string("not valid JSON: ") + e.what());
  }
  if (!object.is_object()) at.fail("each line must be a JSON object, not " + type_of(object));
  PromptItem item;
  const bool has_prompt = object.contains("prompt");
  const bool has_messages = object.contains("messages");
  if (has_prompt == has_messages) {
    at.fail(has_prompt ? "has both \"prompt\" and \"messages\": use one"
                       : "needs \"prompt\" (text) or \"messages\" (chat turns)");
  }
  if (has_prompt) {
    item.prompt = required_string(object, "prompt", "", at);
    if (item.prompt.empty()) at.fail("\"prompt\" is empty");
  } else {
    item.messages = parse_messages(object["messages"], at);
  }
  item.answer = parse_answer(object, at);
  item.id = parse_id(object, line, at);
  return item;
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

JsonlDataset::JsonlDataset(std::string path, std::vector<PromptItem> items, std::string fingerprint)
    : path_(std::move(path)), items_(std::move(items)), fingerprint_(std::move(fingerprint)) {}

std::shared_ptr<const JsonlDataset> JsonlDataset::load(const std::string& path, const JsonlOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open dataset " + path + ": " + std::strerror(errno));
  std::vector<PromptItem> items;
  std::unordered_map<std::string, int64_t> id_lines;
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (blank(text)) continue;
    const LineContext at(path, line);
    PromptItem item = parse_item(text, line, at);
    if (const auto [it, inserted] = id_lines.emplace(item.id, line); !inserted) {
      at.fail("id \"" + item.id + "\" repeats the id on line " + std::to_string(it->second));
    }
    if (options.count_tokens && options.max_prompt_tokens > 0) {
      const int64_t tokens = options.count_tokens(item);
      if (tokens > options.max_prompt_tokens) {
        at.fail("prompt has " + std::to_string(tokens) +
                " tokens, more than data.max_prompt_tokens = " + std::to_string(options.max_prompt_tokens));
      }
    }
    items.push_back(std::move(item));
  }
  if (in.bad()) throw InputError("error reading dataset " + path + ": " + std::strerror(errno));
  if (items.empty()) throw InputError(path + ": the dataset has no prompts (every line is blank)");
  std::string fingerprint = "jsonl sha256=" + sha256_file_hex(path) + " items=" + std::to_string(items.size());
  return std::shared_ptr<const JsonlDataset>(new JsonlDataset(path, std::move(items), std::move(fingerprint)));
}

}  // namespace spct::data
