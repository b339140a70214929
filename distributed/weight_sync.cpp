#include "distributed/weight_sync.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/comm/comm_error.h"
#include "core/error.h"
#include "core/protocol/wire.h"

namespace spct::distributed {

namespace {

constexpr int64_t kAlignment = 64;

struct Header {
  uint64_t version = 0;
  uint64_t manifest_bytes = 0;
};

std::vector<int64_t> stream_offsets(const NamedTensors& tensors, int64_t* total) {
  std::vector<int64_t> offsets;
  int64_t at = 0;
  for (const auto& entry : tensors) {
    offsets.push_back(at);
    const int64_t bytes = entry.second.numel() * static_cast<int64_t>(entry.second.element_size());
    at += (bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  *total = at;
  return offsets;
}

int64_t total_bytes(const NamedTensors& tensors) {
  int64_t total = 0;
  stream_offsets(tensors, &total);
  return total;
}

// Each tensor's description (name, shape, dtype) and offset, then the stream length.
std::vector<uint8_t> encode_manifest(const NamedTensors& tensors) {
  int64_t total = 0;
  const std::vector<int64_t> offsets = stream_offsets(tensors, &total);
  std::vector<uint8_t> out;
  protocol::WireWriter w(out);
  w.put_count(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    w.put_string(describe(tensors[i].first, tensors[i].second));
    w.put(offsets[i]);
  }
  w.put(total);
  return out;
}

// The entries of a manifest, for error messages.
std::vector<std::string> manifest_entries(const std::vector<uint8_t>& manifest) {
  protocol::WireReader r(manifest, 0, "weight manifest");
  std::vector<std::string> entries(r.get_count("tensors", 12));
  for (std::string& entry : entries) {
    entry = r.get_string("tensor");
    entry += fmt::format(" at byte {}", r.get<int64_t>("offset"));
  }
  return entries;
}

// The bytes of a contiguous tensor as a flat uint8 tensor.
at::Tensor bytes_of(const at::Tensor& tensor) {
  return tensor.reshape({-1}).view(at::kByte);
}

}  // namespace

WeightPublisher::WeightPublisher(comm::Communicator& comm, size_t bucket_bytes)
    : comm_(comm), bucket_bytes_(std::max<size_t>(bucket_bytes, kAlignment)) {
  if (comm_.rank() != 0) {
    throw comm::CommError(
        fmt::format("WeightPublisher runs on rank 0 of the weight-sync communicator, not rank {}", comm_.rank()));
  }
}

void WeightPublisher::publish(uint64_t version, const NamedTensors& tensors) {
  at::NoGradGuard no_grad;
  const std::vector<uint8_t> manifest = encode_manifest(tensors);
  Header header{version, manifest.size()};
  comm_.broadcast(&header, sizeof header, 0);
  comm_.broadcast(const_cast<uint8_t*>(manifest.data()), manifest.size(), 0);
  int32_t objections = 0;
  comm_.all_reduce(&objections, 1, comm::DataType::kInt32, comm::ReduceOp::kMax);
  if (objections != 0) {
    throw comm::CommError(
        fmt::format("weight sync of version {}: a receiver expects different tensors than the "
                    "{} published (its error names the first difference)",
                    version, tensors.size()));
  }
  if (tensors.empty()) return;

  int64_t stream_bytes = 0;
  const std::vector<int64_t> offsets = stream_offsets(tensors, &stream_bytes);
  const auto bucket_size = static_cast<int64_t>(bucket_bytes_);
  if (!bucket_.defined() || bucket_.device() != tensors.front().second.device()) {
    bucket_ = at::empty({bucket_size}, at::TensorOptions().dtype(at::kByte).device(tensors.front().second.device()));
  }
  std::vector<at::Tensor> sources;
  for (const auto& entry : tensors) sources.push_back(bytes_of(entry.second.contiguous()));

  // Walk the stream a bucket at a time, copying the part of each tensor that falls inside the bucket.
  size_t first = 0;  // first tensor that may overlap the current bucket
  for (int64_t start = 0; start < stream_bytes; start += bucket_size) {
    const int64_t end = std::min(stream_bytes, start + bucket_size);
    for (size_t i = first; i < sources.size() && offsets[i] < end; ++i) {
      const int64_t from = std::max(start, offsets[i]);
      const int64_t to = std::min(end, offsets[i] + sources[i].numel());
      if (to > from)
        bucket_.narrow(0, from - start, to - from).copy_(sources[i].narrow(0, from - offsets[i], to - from));
      if (offsets[i] + sources[i].numel() <= end) first = i + 1;
    }
    comm_.broadcast(bucket_.data_ptr(), static_cast<size_t>(end - start), 0);
  }
}

WeightReceiver::WeightReceiver(comm::Communicator& comm, const NamedTensors& expected, uint64_t initial_version,
                               size_t bucket_bytes)
    : comm_(comm),
      bucket_bytes_(std::max<size_t>(bucket_bytes, kAlignment)),
      expected_(expected),
      offsets_([&] {
        int64_t total = 0;
        return stream_offsets(expected, &total);
      }()),
      stream_bytes_(total_bytes(expected)),
      manifest_(encode_manifest(expected)),
      current_(std::make_shared<WeightSnapshot>(WeightSnapshot{initial_version, expected, at::Tensor()})) {}

std::shared_ptr<WeightSnapshot> WeightReceiver::take_staging() {
  // Only this object can hand out new references to retired_, so a use count of 1 cannot grow meanwhile.
  if (retired_ && retired_.use_count() == 1 && retired_->storage.defined()) return std::move(retired_);
  const at::Device device = expected_.empty() ? at::Device(at::kCPU) : expected_.front().second.device();
  auto staging = std::make_shared<WeightSnapshot>();
  staging->storage = at::empty({stream_bytes_}, at::TensorOptions().dtype(at::kByte).device(device));
  for (size_t i = 0; i < expected_.size(); ++i) {
    const at::Tensor& like = expected_[i].second;
    const int64_t bytes = like.numel() * static_cast<int64_t>(like.element_size());
    at::Tensor view = staging->storage.narrow(0, offsets_[i], bytes).view(like.scalar_type()).view(like.sizes());
    staging->tensors.emplace_back(expected_[i].first, std::move(view));
  }
  return staging;
}

uint64_t WeightReceiver::receive() {
  at::NoGradGuard no_grad;
  Header header;
  comm_.broadcast(&header, sizeof header, 0);
  std::vector<uint8_t> manifest(header.manifest_bytes);
  comm_.broadcast(manifest.data(), manifest.size(), 0);

  std::string problem;
  if (manifest != manifest_) {
    std::vector<std::string> theirs;
    try {
      theirs = manifest_entries(manifest);
    } catch (const Error& e) {
      problem = fmt::format("its manifest is unreadable: {}", e.what());
    }
    const std::vector<std::string> mine = manifest_entries(manifest_);
    for (size_t i = 0; problem.empty() && i < std::max(theirs.size(), mine.size()); ++i) {
      const std::string t = i < theirs.size() ? theirs[i] : "nothing";
      const std::string m = i < mine.size() ? mine[i] : "nothing";
      if (t != m) problem = fmt::format("tensor {} is '{}' at the publisher, '{}' here", i, t, m);
    }
  } else if (header.version <= current_->version) {
    problem =
        fmt::format("version {} arrived after version {}; versions must increase", header.version, current_->version);
  }
  int32_t objection = problem.empty() ? 0 : 1;
  comm_.all_reduce(&objection, 1, comm::DataType::kInt32, comm::ReduceOp::kMax);
  if (!problem.empty()) {
    throw comm::CommError(
        fmt::format("weight sync of version {} on rank {}: {}", header.version, comm_.rank(), problem));
  }
  if (objection != 0) {
    throw comm::CommError(
        fmt::format("weight sync of version {}: another receiver expects different tensors", header.version));
  }

  std::shared_ptr<WeightSnapshot> staging = take_staging();
  const auto bucket_size = static_cast<int64_t>(bucket_bytes_);
  for (int64_t start = 0; start < stream_bytes_; start += bucket_size) {
    const int64_t length = std::min(stream_bytes_, start + bucket_size) - start;
    comm_.broadcast(static_cast<uint8_t*>(staging->storage.data_ptr()) + start, static_cast<size_t>(length), 0);
  }
  staging->version = header.version;

  std::lock_guard<std::mutex> lock(mutex_);
  retired_ = std::move(current_);
  current_ = std::move(staging);
  return header.version;
}

std::shared_ptr<const WeightSnapshot> WeightReceiver::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void WeightReceiver::copy_into(const NamedTensors& targets) const {
  at::NoGradGuard no_grad;
  const std::shared_ptr<const WeightSnapshot> snapshot = current();
  if (targets.size() != snapshot->tensors.size()) {
    throw UsageError(
        fmt::format("copy_into: {} targets for {} received tensors", targets.size(), snapshot->tensors.size()));
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    at::Tensor target = targets[i].second;
    target.copy_(snapshot->tensors[i].second);
  }
}

}  // namespace spct::distributed
