// TensorBoard event files: scalar metrics in the format `tensorboard --logdir` reads.
//
// EventFileWriter creates `<dir>/events.out.tfevents.<unix seconds>.<hostname>`, writes the "brain.Event:2"
// file_version event first, then one event per step with one scalar (simple_value) per metric (and text summaries,
// write_text), each record flushed at once so that TensorBoard sees a running job and a killed job keeps every written
// step. The records are TFRecord-framed (tfrecord.h).
//
// read_event_file() decodes such a file back (tests, and anyone checking a file by hand).
//
// Thread safety: an EventFileWriter is used by one thread at a time.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace spct::observe {

// The file_version every event file starts with.
inline constexpr const char* kEventFileVersion = "brain.Event:2";

class EventFileWriter {
 public:
  // Creates `dir` if needed and the event file in it (appending when a file of that name exists, which keeps it
  // valid), and writes the file_version event at `wall_time` (seconds since the Unix epoch). Throws spct::Error
  // naming the path when the directory or file cannot be created or written.
  EventFileWriter(const std::string& dir, double wall_time);

  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  const std::string& path() const { return path_; }

  // Appends one event at `step` and `wall_time` with a scalar per entry of `metrics` (the tag is the metric
  // name, so TensorBoard groups "reward/mean" under "reward"), and flushes it. Values are stored as float, as
  // TensorBoard's simple_value is; NaN and infinities are kept. Throws spct::Error when the write fails.
  void write_scalars(int64_t step, double wall_time, const Metrics& metrics);

  // Appends one event at `step` with a text summary under `tag` (TensorBoard's Text tab renders `markdown`),
  // and flushes it. Throws spct::Error when the write fails.
  void write_text(int64_t step, double wall_time, const std::string& tag, const std::string& markdown);

 private:
  void append(const std::string& event_bytes);

  const std::string path_;
  std::ofstream out_;
};

// One decoded event: either the file_version event or a step's scalars.
struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;                                // set on the first event only
  std::vector<std::pair<std::string, float>> scalars;      // (tag, simple_value) in file order
  std::vector<std::pair<std::string, std::string>> texts;  // (tag, text) of text summaries, in file order
};

// Decodes every event of the file at `path`. Throws spct::InputError naming the file (and the byte offset for
// framing errors) when it is not a valid event file.
std::vector<DecodedEvent> read_event_file(const std::string& path);

}  // namespace spct::observe
