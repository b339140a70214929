// The files of a run's rollout log: `<run>/rollouts/step-XXXXXXXX.jsonl.zst` (observe.rollout_log_compress zstd)
// or `step-XXXXXXXX.jsonl` (none), XXXXXXXX the 0-based step of metrics.jsonl, zero-padded to 8 digits so that
// a directory listing sorts by step. A file appears by rename once its step is complete (rollout_log_writer.h);
// `*.tmp` files are a killed attempt's unfinished writes and are never read. `discarded/` holds the files a
// resumed run moved aside (discard_rollouts_from).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spct::observe {

struct RolloutFile {
  int64_t step = 0;
  std::filesystem::path path;
  bool compressed = false;
};

// `<dir>/step-XXXXXXXX.jsonl[.zst]`.
std::filesystem::path rollout_file_path(const std::filesystem::path& dir, int64_t step, bool compressed);

// The step a file name stands for, or nullopt for any other name (tmp files, discarded/, stray files).
std::optional<RolloutFile> parse_rollout_file_name(const std::filesystem::path& path);

// The complete step files of `dir`, by step. Empty when `dir` does not exist.
std::vector<RolloutFile> list_rollout_files(const std::filesystem::path& dir);

// The JSON bytes a file holds: a zstd file's frame header records them (read without decompressing), a plain
// file's size is them. Throws spct::InputError naming the file when the header cannot be read.
int64_t rollout_content_bytes(const RolloutFile& file);

// For a run resumed before step `first_step` (0-based; the checkpoint of `first_step` completed steps): moves
// the files of steps >= first_step, written by the attempt that was cut short, and every `*.tmp` file into
// `<dir>/discarded/` (never deleting; a name already there gets a numeric suffix), so that the resumed run
// writes those steps once. Returns how many files moved. Throws spct::Error naming the file on a failed move.
int64_t discard_rollouts_from(const std::filesystem::path& dir, int64_t first_step);

}  // namespace spct::observe
