#include "orchestrator/observe/rollout_log_reader.h"

#include <fmt/format.h>
#include <zstd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "core/error.h"

namespace spct::observe {
namespace {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open rollout log " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Streaming decompression, so that a damaged frame is reported at the compressed offset where it broke.
std::string decompress(const std::string& bytes, const std::filesystem::path& path) {
  const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  std::string text;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  std::size_t pending = 0;
  // One call of the decoder: appends what it produced and returns how many bytes that was.
  const auto decode_some = [&] {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    pending = ZSTD_decompressStream(context.get(), &out, &in);
    if (ZSTD_isError(pending) != 0) {
      throw InputError(fmt::format("{}: corrupt zstd data near compressed byte {}: {}", path.string(), in.pos,
                                   ZSTD_getErrorName(pending)));
    }
    text.append(chunk.data(), out.pos);
    return out.pos;
  };
  while (in.pos < in.size) decode_some();
  // Drain what the last input left in the decoder.
  while (pending != 0) {
    if (decode_some() == 0) {
      throw InputError(
          fmt::format("{}: truncated: the zstd frame ends early at compressed byte {}", path.string(), bytes.size()));
    }
  }
  return text;
}

}  // namespace

std::vector<RolloutRecord> read_rollout_file(const RolloutFile& file) {
  const std::string bytes = read_bytes(file.path);
  const std::string text = file.compressed ? decompress(bytes, file.path) : bytes;
  std::vector<RolloutRecord> records;
  std::size_t offset = 0;
  for (int64_t line_number = 1; offset < text.size(); ++line_number) {
    std::size_t end = text.find('\n', offset);
    if (end == std::string::npos) end = text.size();
    const std::string where = fmt::format("{}: line {} (byte {}{})", file.path.string(), line_number, offset,
                                          file.compressed ? " of the decompressed text" : "");
    records.push_back(parse_json_line(text.substr(offset, end - offset), where));
    offset = end + 1;
  }
  return records;
}

}  // namespace spct::observe
