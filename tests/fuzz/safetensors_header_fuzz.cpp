// libFuzzer target for the safetensors header parser: any bytes, taken as a whole .safetensors file, must give a
// header that keeps every promise of models/io/safetensors.h or an spct::InputError; never a crash, a read out of
// bounds, undefined behaviour or another exception type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/error.h"
#include "models/io/safetensors.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_contract(const spct::model_io::SafetensorsHeader& header, std::size_t file_size) {
  require(header.data_start >= 8 && header.data_start <= file_size);
  const uint64_t data_size = file_size - header.data_start;
  uint64_t covered = 0;
  for (std::size_t i = 0; i < header.tensors.size(); ++i) {
    const spct::model_io::TensorInfo& info = header.tensors[i];
    require(i == 0 || header.tensors[i - 1].name < info.name);
    require(info.begin <= info.end && info.end <= data_size);
    uint64_t numel = 1;
    for (const int64_t dim : info.shape) {
      require(dim >= 0);
      numel *= static_cast<uint64_t>(dim);
    }
    require(numel == static_cast<uint64_t>(info.numel));
    require(info.end - info.begin == numel * spct::model_io::dtype_size(info.dtype));
    covered += info.end - info.begin;
  }
  // No overlaps means the tensors cannot claim more bytes than the data section has.
  require(covered <= data_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  try {
    check_contract(spct::model_io::parse_safetensors_header(file, "<fuzz>"), size);
  } catch (const spct::InputError&) {
  }
  return 0;
}
