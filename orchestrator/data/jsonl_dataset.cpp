#include "orchestrator/data/jsonl_dataset.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "core/sha256.h"

namespace spct::data {

namespace {

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

JsonlDataset::JsonlDataset(std::string path, std::vector<PromptItem> items, std::string fingerprint)
    : path_(std::move(path)), items_(std::move(items)), fingerprint_(std::move(fingerprint)) {}

std::shared_ptr<const JsonlDataset> JsonlDataset::load(const std::string& path, const JsonlOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open dataset " + path + ": " + std::strerror(errno));
  PromptRecords records(path, options);
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (blank(text)) continue;
    const std::string where = path + ":" + std::to_string(line) + ": ";
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      // nlohmann's message carries the column ("at line 1, column 17").
      throw InputError(where + "not valid JSON: " + e.what());
    }
    if (!object.is_object()) {
      throw InputError(where + "each line must be a JSON object, not " + std::string(object.type_name()));
    }
    records.add(object, std::to_string(line), "line-" + std::to_string(line));
  }
  if (in.bad()) throw InputError("error reading dataset " + path + ": " + std::strerror(errno));
  std::vector<PromptItem> items = records.take("every line is blank");
  std::string fingerprint = "jsonl sha256=" + sha256_file_hex(path) + " items=" + std::to_string(items.size());
  return std::shared_ptr<const JsonlDataset>(new JsonlDataset(path, std::move(items), std::move(fingerprint)));
}

}  // namespace spct::data
