#include "orchestrator/observe/rollout_log_writer.h"

#include <zstd.h>

#include <fstream>
#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "orchestrator/observe/rollout_log_files.h"

namespace spct::observe {
namespace {

// zstd's default level: about 3x on rollout text at a few hundred MB/s, far below a step's cost.
constexpr int kZstdLevel = 3;

std::string compress(const std::string& text, const std::filesystem::path& path) {
  const std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  // A content checksum, so that a damaged file is reported rather than read back as other text; the content
  // size is recorded in the frame header by default (rollout_content_bytes reads it).
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t size = ZSTD_compress2(context.get(), out.data(), out.size(), text.data(), text.size());
  if (ZSTD_isError(size) != 0) {
    throw Error(ExitCode::kFailure, path.string() + ": zstd compression failed: " + ZSTD_getErrorName(size));
  }
  out.resize(size);
  return out;
}

}  // namespace

RolloutLogWriter::RolloutLogWriter(std::filesystem::path dir, const RolloutLogOptions& options)
    : dir_(std::move(dir)), options_(options) {
  for (const RolloutFile& file : list_rollout_files(dir_)) run_bytes_ += rollout_content_bytes(file);
}

bool RolloutLogWriter::due(int64_t step) const {
  return options_.every > 0 && step % options_.every == 0;
}

RolloutLogWriter::StepLog RolloutLogWriter::write_step(int64_t step, const std::vector<RolloutRecord>& records) {
  StepLog log;
  std::string text;
  for (const RolloutRecord& record : records) {
    if (run_full_) break;
    std::string line = to_json_line(record);
    line += '\n';
    const auto size = static_cast<int64_t>(line.size());
    if (run_bytes_ + static_cast<int64_t>(text.size()) + size > options_.max_run_bytes) {
      // Stop for good rather than let a later, shorter record through: the log keeps a prefix of the run.
      run_full_ = true;
      spdlog::warn(
          "rollout log: observe.rollout_log_max_run_bytes ({}) reached at step {}: no further records are "
          "written (counted in rollouts/records_dropped); the run goes on",
          options_.max_run_bytes, step);
      break;
    }
    if (static_cast<int64_t>(text.size()) + size > options_.max_file_bytes) {
      if (!warned_file_) {
        warned_file_ = true;
        spdlog::warn(
            "rollout log: step {} reached observe.rollout_log_max_file_bytes ({}): a step's records past it are "
            "not written (counted in rollouts/records_dropped; warned once per run)",
            step, options_.max_file_bytes);
      }
      break;
    }
    text += line;
    ++log.written;
  }
  log.dropped = static_cast<int64_t>(records.size()) - log.written;
  if (log.written == 0) return log;

  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error)
    throw Error(ExitCode::kFailure, "cannot create rollout log directory " + dir_.string() + ": " + error.message());
  log.path = rollout_file_path(dir_, step, options_.compress);
  const std::string bytes = options_.compress ? compress(text, log.path) : text;
  const std::filesystem::path tmp = log.path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw Error(ExitCode::kFailure, "cannot write rollout log " + tmp.string());
  }
  std::filesystem::rename(tmp, log.path, error);
  if (error)
    throw Error(ExitCode::kFailure,
                "cannot rename " + tmp.string() + " to " + log.path.string() + ": " + error.message());
  log.json_bytes = static_cast<int64_t>(text.size());
  log.file_bytes = static_cast<int64_t>(bytes.size());
  run_bytes_ += log.json_bytes;
  return log;
}

}  // namespace spct::observe
