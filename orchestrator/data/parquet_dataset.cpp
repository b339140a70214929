#include "orchestrator/data/parquet_dataset.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "core/sha256.h"

namespace spct::data {

namespace {

using nlohmann::json;

// A cell as the JSON value a JSONL line would hold, so both formats share one record parser. Types a prompt
// dataset never needs (dates, binary, maps) become a string naming the type, which the field checks reject
// with the path of the bad field.
json to_json(const arrow::Scalar& scalar) {
  if (!scalar.is_valid) return nullptr;
  switch (scalar.type->id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW: return std::string(static_cast<const arrow::BaseBinaryScalar&>(scalar).view());
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanScalar&>(scalar).value;
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64: {
      const auto cast = scalar.CastTo(arrow::int64());
      if (!cast.ok()) break;
      return static_cast<const arrow::Int64Scalar&>(**cast).value;
    }
    case arrow::Type::HALF_FLOAT:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      const auto cast = scalar.CastTo(arrow::float64());
      if (!cast.ok()) break;
      return static_cast<const arrow::DoubleScalar&>(**cast).value;
    }
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& list = static_cast<const arrow::BaseListScalar&>(scalar);
      json out = json::array();
      for (int64_t i = 0; i < list.value->length(); ++i) {
        const auto element = list.value->GetScalar(i);
        out.push_back(element.ok() ? to_json(**element) : json(nullptr));
      }
      return out;
    }
    case arrow::Type::STRUCT: {
      const auto& record = static_cast<const arrow::StructScalar&>(scalar);
      const auto& type = static_cast<const arrow::StructType&>(*scalar.type);
      json out = json::object();
      for (int i = 0; i < type.num_fields(); ++i) out[type.field(i)->name()] = to_json(*record.value[i]);
      return out;
    }
    default: break;
  }
  return "<" + scalar.type->ToString() + " value>";
}

template <class T>
T check(arrow::Result<T> result, const std::string& path, const std::string& doing) {
  if (!result.ok()) throw InputError(path + ": " + doing + ": " + result.status().ToString());
  return std::move(result).ValueOrDie();
}

}  // namespace

bool ParquetDataset::available() {
  return true;
}

ParquetDataset::ParquetDataset(std::vector<PromptItem> items, std::string fingerprint)
    : items_(std::move(items)), fingerprint_(std::move(fingerprint)) {}

std::shared_ptr<const ParquetDataset> ParquetDataset::load(const std::string& path, const JsonlOptions& options) {
  const auto file = check(arrow::io::ReadableFile::Open(path), path, "cannot open dataset");
  const auto reader = check(parquet::arrow::OpenFile(file, arrow::default_memory_pool()), path, "not a Parquet file");
  const std::shared_ptr<arrow::Table> table = check(reader->ReadTable(), path, "cannot read the table");
  // Only the columns a field reads are converted.
  const JsonlFields& f = options.fields;
  std::vector<std::pair<std::string, std::shared_ptr<arrow::ChunkedArray>>> columns;
  for (const std::string& name : {f.prompt, f.messages, f.answer, f.id}) {
    if (auto column = table->GetColumnByName(name)) columns.emplace_back(name, std::move(column));
  }
  PromptRecords records(path, options);
  for (int64_t row = 0; row < table->num_rows(); ++row) {
    const std::string place = "row " + std::to_string(row + 1);
    json object = json::object();
    for (const auto& [name, column] : columns) {
      object[name] = to_json(*check(column->GetScalar(row), path, place + ": column \"" + name + "\""));
    }
    records.add(object, place, "row-" + std::to_string(row + 1));
  }
  std::vector<PromptItem> items = records.take("the file has no rows");
  std::string fingerprint = "parquet sha256=" + sha256_file_hex(path) + " items=" + std::to_string(items.size());
  return std::shared_ptr<const ParquetDataset>(new ParquetDataset(std::move(items), std::move(fingerprint)));
}

}  // namespace spct::data
