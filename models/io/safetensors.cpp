#include "models/io/safetensors.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "core/error.h"

namespace spct::model_io {
namespace {

using nlohmann::json;

constexpr uint64_t kLengthPrefixBytes = 8;
// Real headers are a few hundred bytes per tensor; a larger one is corrupt or hostile, and parsing it would cost
// memory out of proportion (the reference implementation draws the same line).
constexpr uint64_t kMaxHeaderBytes = 100ULL << 20;

// Builds the located error messages: "FILE: tensor 'NAME' (file offset 123): what".
class HeaderErrors {
 public:
  HeaderErrors(std::string_view file_name, std::string_view header_text)
      : file_name_(file_name), header_text_(header_text) {}

  [[noreturn]] void at_offset(uint64_t offset, const std::string& what) const {
    throw InputError(std::string(file_name_) + " (file offset " + std::to_string(offset) + "): " + what);
  }

  [[noreturn]] void in_tensor(const std::string& name, const std::string& what) const {
    throw InputError(std::string(file_name_) + ": tensor '" + name + "' (file offset " +
                     std::to_string(key_offset(name)) + "): " + what);
  }

 private:
  // The file offset of the key `name` in the header text. The JSON DOM keeps no positions, so this searches for
  // the key as JSON spells it; a key written with unusual escapes is not found and the header's start is named.
  uint64_t key_offset(const std::string& name) const {
    const std::string quoted = json(name).dump();
    const std::size_t found = header_text_.find(quoted);
    return kLengthPrefixBytes + (found == std::string_view::npos ? 0 : found);
  }

  const std::string_view file_name_;
  const std::string_view header_text_;
};

std::string describe(const json& value) {
  std::string text = value.dump();
  constexpr std::size_t kMaxShown = 60;
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

// A JSON number that is a non-negative integer (not 1.0, not -1), as uint64.
std::optional<uint64_t> as_count(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

json parse_json(std::string_view header_text, const HeaderErrors& errors) {
  // Duplicate tensor names would silently shadow each other in the DOM; the parser callback sees every key as it
  // is read, so a repeat is caught here.
  std::set<std::string> top_level_keys;
  std::string duplicate;
  const json::parser_callback_t reject_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key && !top_level_keys.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
      throw std::invalid_argument("duplicate key");
    }
    return true;
  };
  try {
    return json::parse(header_text.begin(), header_text.end(), reject_duplicates);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 and points just past the offending character.
    const uint64_t offset = kLengthPrefixBytes + (e.byte > 0 ? e.byte - 1 : 0);
    errors.at_offset(offset, std::string("the header is not valid JSON: ") + e.what());
  } catch (const json::exception& e) {
    // Not a syntax error but a value nlohmann cannot hold (a number like 1e999); it keeps no position for these.
    errors.at_offset(kLengthPrefixBytes, std::string("the header is not usable JSON: ") + e.what());
  } catch (const std::invalid_argument&) {
    errors.in_tensor(duplicate, "the header names this tensor twice");
  }
}

std::map<std::string, std::string> parse_metadata(const json& value, const HeaderErrors& errors) {
  if (!value.is_object()) errors.in_tensor("__metadata__", "must be an object of strings, not " + describe(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      errors.in_tensor("__metadata__", "value of '" + key + "' must be a string, not " + describe(item));
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

TensorInfo parse_entry(const std::string& name, const json& entry, uint64_t data_size, const HeaderErrors& errors) {
  if (!entry.is_object()) errors.in_tensor(name, "entry must be an object, not " + describe(entry));
  for (const auto& [key, unused] : entry.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      errors.in_tensor(name, "unknown key '" + key + "' (expected dtype, shape, data_offsets)");
    }
  }
  for (const char* required : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(required)) errors.in_tensor(name, std::string("missing '") + required + "'");
  }

  const json& dtype_value = entry.at("dtype");
  const std::optional<DType> dtype =
      dtype_value.is_string() ? dtype_from_name(dtype_value.get<std::string>()) : std::nullopt;
  if (!dtype) {
    errors.in_tensor(
        name, "dtype " + describe(dtype_value) + " is not one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL");
  }

  const json& shape_value = entry.at("shape");
  if (!shape_value.is_array()) errors.in_tensor(name, "shape must be an array, not " + describe(shape_value));
  std::vector<int64_t> shape;
  uint64_t numel = 1;
  for (const json& dim_value : shape_value) {
    const std::optional<uint64_t> dim = as_count(dim_value);
    if (!dim || *dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      errors.in_tensor(name, "shape " + describe(shape_value) + " has a dimension that is not a non-negative integer");
    }
    if (__builtin_mul_overflow(numel, *dim, &numel) ||
        numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      errors.in_tensor(name, "shape " + describe(shape_value) + " has more elements than fit in 63 bits");
    }
    shape.push_back(static_cast<int64_t>(*dim));
  }
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(numel, dtype_size(*dtype), &expected_bytes)) {
    errors.in_tensor(name, "shape " + describe(shape_value) + " is too large to address");
  }

  const json& offsets_value = entry.at("data_offsets");
  if (!offsets_value.is_array() || offsets_value.size() != 2 || !as_count(offsets_value[0]) ||
      !as_count(offsets_value[1])) {
    errors.in_tensor(name, "data_offsets must be two non-negative integers, not " + describe(offsets_value));
  }
  const uint64_t begin = *as_count(offsets_value[0]);
  const uint64_t end = *as_count(offsets_value[1]);
  if (begin > end) errors.in_tensor(name, "data_offsets " + describe(offsets_value) + " end before they begin");
  if (end > data_size) {
    errors.in_tensor(name, "data_offsets " + describe(offsets_value) + " run past the data section of " +
                               std::to_string(data_size) + " bytes");
  }
  if (end - begin != expected_bytes) {
    errors.in_tensor(name, "data_offsets " + describe(offsets_value) + " span " + std::to_string(end - begin) +
                               " bytes but " + std::string(dtype_name(*dtype)) + " " + describe(shape_value) +
                               " needs " + std::to_string(expected_bytes));
  }
  return TensorInfo{name, *dtype, std::move(shape), static_cast<int64_t>(numel), begin, end};
}

void check_no_overlap(const std::vector<TensorInfo>& tensors, const HeaderErrors& errors) {
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const TensorInfo& info : tensors) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& previous = *by_offset[i - 1];
    const TensorInfo& current = *by_offset[i];
    if (current.begin < previous.end) {
      errors.in_tensor(current.name, "bytes [" + std::to_string(current.begin) + ", " + std::to_string(current.end) +
                                         ") overlap tensor '" + previous.name + "' at [" +
                                         std::to_string(previous.begin) + ", " + std::to_string(previous.end) + ")");
    }
  }
}

}  // namespace

SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file, std::string_view file_name) {
  const HeaderErrors file_errors(file_name, {});
  if (file.size() < kLengthPrefixBytes) {
    file_errors.at_offset(
        0, "the file is " + std::to_string(file.size()) + " bytes, too short for the 8-byte header length");
  }
  uint64_t header_length = 0;
  for (uint64_t i = 0; i < kLengthPrefixBytes; ++i) {
    header_length |= static_cast<uint64_t>(std::to_integer<uint8_t>(file[i])) << (8 * i);
  }
  const uint64_t after_prefix = file.size() - kLengthPrefixBytes;
  if (header_length > after_prefix) {
    file_errors.at_offset(0, "header length " + std::to_string(header_length) + " runs past the end of the file (" +
                                 std::to_string(after_prefix) + " bytes follow the length)");
  }
  if (header_length > kMaxHeaderBytes) {
    file_errors.at_offset(0, "header length " + std::to_string(header_length) + " exceeds the 100 MiB limit");
  }

  const std::string_view header_text(reinterpret_cast<const char*>(file.data()) + kLengthPrefixBytes, header_length);
  const HeaderErrors errors(file_name, header_text);
  const json header = parse_json(header_text, errors);
  if (!header.is_object()) errors.at_offset(kLengthPrefixBytes, "the header must be a JSON object");

  SafetensorsHeader result;
  result.data_start = kLengthPrefixBytes + header_length;
  const uint64_t data_size = file.size() - result.data_start;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      result.metadata = parse_metadata(entry, errors);
    } else {
      result.tensors.push_back(parse_entry(name, entry, data_size, errors));
    }
  }
  std::sort(result.tensors.begin(), result.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  check_no_overlap(result.tensors, errors);
  return result;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(path), header_(parse_safetensors_header(file_.bytes(), path.string())) {}

std::optional<TensorView> SafetensorsFile::find(std::string_view name) const {
  const auto found = std::lower_bound(header_.tensors.begin(), header_.tensors.end(), name,
                                      [](const TensorInfo& info, std::string_view key) { return info.name < key; });
  if (found == header_.tensors.end() || found->name != name) return std::nullopt;
  return view(*found);
}

TensorView SafetensorsFile::get(std::string_view name) const {
  std::optional<TensorView> found = find(name);
  if (!found) throw InputError(path().string() + ": no tensor named '" + std::string(name) + "'");
  return *found;
}

TensorView SafetensorsFile::view(const TensorInfo& info) const {
  const std::span<const std::byte> data = file_.bytes().subspan(header_.data_start);
  return TensorView{info.name, info.dtype, info.shape, data.subspan(info.begin, info.end - info.begin)};
}

}  // namespace spct::model_io
