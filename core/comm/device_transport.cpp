#include "core/comm/device_transport.h"

namespace spct::comm {

std::string_view transport_name(DeviceTransport transport) {
  switch (transport) {
    case DeviceTransport::kMpi: return "mpi";
    case DeviceTransport::kNccl: return "nccl";
    case DeviceTransport::kCudaIpc: return "cuda ipc";
    case DeviceTransport::kHostStaging: return "host staging";
  }
  return "?";
}

DeviceTransport pair_transport(const RankPlacement& a, const RankPlacement& b) {
  if (a.device < 0 || b.device < 0) return DeviceTransport::kMpi;
  return same_gpu(a, b) ? DeviceTransport::kCudaIpc : DeviceTransport::kNccl;
}

DeviceTransport group_transport(const RankLayout& layout, const std::vector<int>& members) {
  bool all_ipc = true;
  bool all_nccl = true;
  for (const int r : members) {
    if (layout.at(r).device < 0) return DeviceTransport::kMpi;
  }
  for (size_t i = 0; i < members.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const DeviceTransport pair = pair_transport(layout.at(members[i]), layout.at(members[j]));
      all_ipc = all_ipc && pair == DeviceTransport::kCudaIpc;
      all_nccl = all_nccl && pair == DeviceTransport::kNccl;
    }
  }
  if (all_nccl) return DeviceTransport::kNccl;  // first: a group of one is vacuously both
  return all_ipc ? DeviceTransport::kCudaIpc : DeviceTransport::kHostStaging;
}

}  // namespace spct::comm
