#include "orchestrator/observe/rollout_log_files.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <fstream>

#include "core/error.h"

namespace spct::observe {
namespace {

constexpr std::string_view kPrefix = "step-";
constexpr int kStepDigits = 8;
// zstd's largest frame header (ZSTD_FRAMEHEADERSIZE_MAX, declared only for static linking).
constexpr std::size_t kZstdFrameHeaderMax = 18;

}  // namespace

std::filesystem::path rollout_file_path(const std::filesystem::path& dir, int64_t step, bool compressed) {
  return dir / fmt::format("step-{:0{}}.jsonl{}", step, kStepDigits, compressed ? ".zst" : "");
}

std::optional<RolloutFile> parse_rollout_file_name(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  if (!name.starts_with(kPrefix)) return std::nullopt;
  std::string rest = name.substr(kPrefix.size());
  bool compressed = false;
  if (rest.ends_with(".jsonl.zst")) {
    compressed = true;
    rest.resize(rest.size() - std::string_view(".jsonl.zst").size());
  } else if (rest.ends_with(".jsonl")) {
    rest.resize(rest.size() - std::string_view(".jsonl").size());
  } else {
    return std::nullopt;
  }
  if (rest.size() < kStepDigits ||
      !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return RolloutFile{std::stoll(rest), path, compressed};
}

std::vector<RolloutFile> list_rollout_files(const std::filesystem::path& dir) {
  std::vector<RolloutFile> files;
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (std::optional<RolloutFile> file = parse_rollout_file_name(entry.path())) files.push_back(std::move(*file));
  }
  std::sort(files.begin(), files.end(), [](const RolloutFile& a, const RolloutFile& b) { return a.step < b.step; });
  return files;
}

int64_t rollout_content_bytes(const RolloutFile& file) {
  if (!file.compressed) return static_cast<int64_t>(std::filesystem::file_size(file.path));
  std::array<char, kZstdFrameHeaderMax> header{};
  std::ifstream in(file.path, std::ios::binary);
  in.read(header.data(), header.size());
  const unsigned long long size = ZSTD_getFrameContentSize(header.data(), static_cast<std::size_t>(in.gcount()));
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    throw InputError(file.path.string() + ": byte 0: not a zstd frame with its content size (not written by spct?)");
  }
  return static_cast<int64_t>(size);
}

int64_t discard_rollouts_from(const std::filesystem::path& dir, int64_t first_step) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return 0;
  std::vector<std::filesystem::path> moving;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::optional<RolloutFile> file = parse_rollout_file_name(entry.path());
    if ((file && file->step >= first_step) || entry.path().extension() == ".tmp") moving.push_back(entry.path());
  }
  if (moving.empty()) return 0;
  const std::filesystem::path discarded = dir / "discarded";
  std::filesystem::create_directories(discarded, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create " + discarded.string() + ": " + error.message());
  for (const std::filesystem::path& from : moving) {
    std::filesystem::path to = discarded / from.filename();
    for (int suffix = 1; std::filesystem::exists(to); ++suffix) {
      to = discarded / fmt::format("{}.{}", from.filename().string(), suffix);
    }
    std::filesystem::rename(from, to, error);
    if (error)
      throw Error(ExitCode::kFailure, "cannot move " + from.string() + " to " + to.string() + ": " + error.message());
  }
  return static_cast<int64_t>(moving.size());
}

}  // namespace spct::observe
