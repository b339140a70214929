#include "orchestrator/observe/event_file.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "orchestrator/observe/process.h"
#include "orchestrator/observe/tfrecord.h"
#include "tensorboard_event.pb.h"

namespace spct::observe {
namespace {

std::string event_file_path(const std::string& dir, double wall_time) {
  return (std::filesystem::path(dir) /
          fmt::format("events.out.tfevents.{}.{}", static_cast<int64_t>(std::floor(wall_time)), this_host()))
      .string();
}

std::ofstream open_for_append(const std::string& dir, const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create TensorBoard directory " + dir + ": " + error.message());
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) throw Error(ExitCode::kFailure, "cannot create TensorBoard event file " + path);
  return out;
}

}  // namespace

EventFileWriter::EventFileWriter(const std::string& dir, double wall_time)
    : path_(event_file_path(dir, wall_time)), out_(open_for_append(dir, path_)) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_file_version(kEventFileVersion);
  append(event.SerializeAsString());
}

void EventFileWriter::write_scalars(int64_t step, double wall_time, const Metrics& metrics) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorboard::Summary* summary = event.mutable_summary();
  for (const auto& [name, value] : metrics) {
    tensorboard::SummaryValue* scalar = summary->add_value();
    scalar->set_tag(name);
    scalar->set_simple_value(static_cast<float>(value));
  }
  append(event.SerializeAsString());
}

void EventFileWriter::write_text(int64_t step, double wall_time, const std::string& tag, const std::string& markdown) {
  // TensorBoard's text plugin reads a scalar DT_STRING tensor whose metadata names the plugin.
  constexpr int kDtString = 7;
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorboard::SummaryValue* value = event.mutable_summary()->add_value();
  value->set_tag(tag);
  value->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  tensorboard::TensorProto* tensor = value->mutable_tensor();
  tensor->set_dtype(kDtString);
  tensor->mutable_tensor_shape();
  tensor->add_string_val(markdown);
  append(event.SerializeAsString());
}

void EventFileWriter::append(const std::string& event_bytes) {
  out_ << frame_record(event_bytes);
  out_.flush();
  if (!out_) throw Error(ExitCode::kFailure, "cannot write TensorBoard event file " + path_);
}

std::vector<DecodedEvent> read_event_file(const std::string& path) {
  std::vector<DecodedEvent> events;
  const std::vector<std::string> records = read_records(path);
  events.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    tensorboard::Event event;
    if (!event.ParseFromString(records[i])) {
      throw InputError(fmt::format("{}: record {} is not a TensorBoard Event protobuf", path, i));
    }
    DecodedEvent decoded;
    decoded.wall_time = event.wall_time();
    decoded.step = event.step();
    if (event.has_file_version()) decoded.file_version = event.file_version();
    if (event.has_summary()) {
      for (const tensorboard::SummaryValue& value : event.summary().value()) {
        if (value.has_tensor()) {
          if (value.tensor().string_val_size() > 0)
            decoded.texts.emplace_back(value.tag(), value.tensor().string_val(0));
        } else {
          decoded.scalars.emplace_back(value.tag(), value.simple_value());
        }
      }
    }
    events.push_back(std::move(decoded));
  }
  return events;
}

}  // namespace spct::observe
