#include "models/tokenizer/json_view.h"

#include "core/error.h"

namespace spct::tokenizer {

namespace {

const char* type_name(const nlohmann::json& node) {
  return node.type_name();  // "null", "object", "array", "string", "boolean", "number"
}

}  // namespace

std::string JsonView::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void JsonView::fail(const std::string& message) const {
  throw InputError(*file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + message);
}

void JsonView::require_object() const {
  if (!node_->is_object()) fail(std::string("expected an object, found ") + type_name(*node_));
}

void JsonView::require_array() const {
  if (!node_->is_array()) fail(std::string("expected an array, found ") + type_name(*node_));
}

JsonView JsonView::at(std::string_view key) const {
  require_object();
  const auto it = node_->find(key);
  if (it == node_->end()) fail("missing required key \"" + std::string(key) + "\"");
  return JsonView(*it, *file_, child_path(key));
}

std::optional<JsonView> JsonView::find(std::string_view key) const {
  require_object();
  const auto it = node_->find(key);
  if (it == node_->end() || it->is_null()) return std::nullopt;
  return JsonView(*it, *file_, child_path(key));
}

JsonView JsonView::element(size_t index) const {
  return JsonView((*node_)[index], *file_, path_ + "[" + std::to_string(index) + "]");
}

const std::string& JsonView::as_string() const {
  if (!node_->is_string()) fail(std::string("expected a string, found ") + type_name(*node_));
  return node_->get_ref<const std::string&>();
}

bool JsonView::as_bool() const {
  if (!node_->is_boolean()) fail(std::string("expected true or false, found ") + type_name(*node_));
  return node_->get<bool>();
}

int64_t JsonView::as_int() const {
  if (!node_->is_number_integer()) fail(std::string("expected an integer, found ") + type_name(*node_));
  return node_->get<int64_t>();
}

int32_t JsonView::as_id() const {
  const int64_t value = as_int();
  if (value < 0 || value > INT32_MAX) fail("token id " + std::to_string(value) + " is out of range");
  return static_cast<int32_t>(value);
}

std::string JsonView::string_or(std::string_view key, std::string_view fallback) const {
  const auto member = find(key);
  return member ? member->as_string() : std::string(fallback);
}

bool JsonView::bool_or(std::string_view key, bool fallback) const {
  const auto member = find(key);
  return member ? member->as_bool() : fallback;
}

}  // namespace spct::tokenizer
