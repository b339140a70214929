// JsonView: a read-only position inside a parsed tokenizer.json that knows its JSON path ("model.merges[12]")
// and the file it came from, so that every complaint about the file names both. Used only by the loaders in
// this directory; the public tokenizer headers do not expose JSON.
//
// Ownership: a JsonView borrows the parsed document and the file name; both must outlive it.
// Thread safety: immutable.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace spct::tokenizer {

class JsonView {
 public:
  JsonView(const nlohmann::json& node, const std::string& file, std::string path = "")
      : node_(&node), file_(&file), path_(std::move(path)) {}

  const nlohmann::json& node() const { return *node_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }

  // The member `key` of this object. Throws InputError when this is not an object or the member is absent.
  JsonView at(std::string_view key) const;
  // The member `key`, or nullopt when it is absent or null. Throws InputError when this is not an object.
  std::optional<JsonView> find(std::string_view key) const;
  // Element `index` of this array. REQUIRES: is_array() and index < size().
  JsonView element(size_t index) const;

  bool is_null() const { return node_->is_null(); }
  bool is_array() const { return node_->is_array(); }
  bool is_object() const { return node_->is_object(); }
  bool is_string() const { return node_->is_string(); }
  size_t size() const { return node_->size(); }

  // The value as a C++ type; each throws InputError naming the expected type when the value has another.
  const std::string& as_string() const;
  bool as_bool() const;
  int64_t as_int() const;
  int32_t as_id() const;  // an integer in [0, 2^31)
  void require_array() const;
  void require_object() const;

  // The string member `key`, or `fallback` when it is absent or null.
  std::string string_or(std::string_view key, std::string_view fallback) const;
  // The boolean member `key`, or `fallback` when it is absent or null.
  bool bool_or(std::string_view key, bool fallback) const;

  // Throws InputError("<file>: <path>: <message>").
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string child_path(std::string_view key) const;

  const nlohmann::json* node_;
  const std::string* file_;
  std::string path_;
};

}  // namespace spct::tokenizer
