#include "workers/reward/grm/preference_data.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace spct::grm {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw InputError(where + ": " + what);
}

std::string string_field(const json& line, const char* key, const std::string& where) {
  const auto it = line.find(key);
  if (it == line.end()) fail(where, std::string("missing key \"") + key + "\"");
  if (!it->is_string()) fail(where, std::string("key \"") + key + "\" must be a string, not " + it->type_name());
  return it->get<std::string>();
}

int integer_field(const json& line, const char* key, const std::string& where) {
  const auto it = line.find(key);
  if (it == line.end()) fail(where, std::string("missing key \"") + key + "\"");
  if (!it->is_number_integer()) {
    fail(where, std::string("key \"") + key + "\" must be an integer, not " + it->dump());
  }
  const auto value = it->get<int64_t>();
  if (value < INT32_MIN || value > INT32_MAX) fail(where, std::string("key \"") + key + "\" is out of range");
  return static_cast<int>(value);
}

PreferenceItem parse_pair(const json& line, const std::string& where) {
  PreferenceItem item;
  item.query = string_field(line, "prompt", where);
  item.responses.push_back(string_field(line, "chosen", where));
  item.responses.push_back(string_field(line, "rejected", where));
  item.truth = 0;
  return item;
}

PreferenceItem parse_listwise(const json& line, const std::string& where) {
  PreferenceItem item;
  item.query = string_field(line, "query", where);
  const auto responses = line.find("responses");
  if (responses == line.end()) fail(where, "missing key \"responses\"");
  if (!responses->is_array() || responses->empty()) fail(where, "key \"responses\" must be a non-empty array");
  for (size_t i = 0; i < responses->size(); ++i) {
    const json& response = (*responses)[i];
    if (!response.is_string()) {
      fail(where, "responses[" + std::to_string(i) + "] must be a string, not " + response.type_name());
    }
    item.responses.push_back(response.get<std::string>());
  }
  const int n = static_cast<int>(item.responses.size());
  if (n == 1) {
    item.truth = integer_field(line, "label", where);
    if (item.truth != 0 && item.truth != 1) fail(where, "key \"label\" must be 0 or 1 for a single response");
  } else {
    item.truth = integer_field(line, "best", where);
    if (item.truth < 0 || item.truth >= n) {
      fail(where, "key \"best\" (" + std::to_string(item.truth) + ") must index the " + std::to_string(n) +
                      " responses (0.." + std::to_string(n - 1) + ")");
    }
  }
  return item;
}

}  // namespace

bool response_right(const PreferenceItem& item, size_t r) {
  return item.labels.empty() ? static_cast<int>(r) == item.truth : item.labels[r] == 1;
}

std::vector<PreferenceItem> parse_preference_jsonl(std::string_view text, const std::string& name) {
  std::vector<PreferenceItem> items;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = name + ":" + std::to_string(line_number);

    json line;
    try {
      line = json::parse(raw);
    } catch (const json::parse_error& e) {
      // e.byte is 1-based within the line.
      fail(where, "not valid JSON at column " + std::to_string(e.byte) + ": " + e.what());
    }
    if (!line.is_object()) fail(where, std::string("expected a JSON object, found ") + line.type_name());

    PreferenceItem item;
    if (line.contains("chosen") || line.contains("rejected")) {
      item = parse_pair(line, where);
    } else if (line.contains("responses")) {
      item = parse_listwise(line, where);
    } else {
      fail(where, "neither a pair (prompt, chosen, rejected) nor a listwise item (query, responses, best)");
    }
    if (line.contains("subset")) item.subset = string_field(line, "subset", where);
    item.where = where;
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<PreferenceItem> load_preference_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the preference data file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path + ": read error");
  return parse_preference_jsonl(buffer.str(), path);
}

}  // namespace spct::grm
