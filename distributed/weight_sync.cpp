#include "distributed/weight_sync.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "core/comm/background_work.h"
#include "core/comm/comm_error.h"
#include "core/error.h"
#include "core/protocol/wire.h"

namespace spct::distributed {

namespace {

constexpr int64_t kAlignment = 64;

// The publisher's step 1: the version and the length of the manifest (WeightReceiver::header_ mirrors it).
struct Header {
  uint64_t version = 0;
  uint64_t manifest_bytes = 0;
};
static_assert(sizeof(Header) == 2 * sizeof(uint64_t));

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
  bytes_sent_ = 0;
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
  bytes_sent_ = stream_bytes;
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
      mpi_(dynamic_cast<comm::MpiCommunicator*>(&comm)),
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

std::unique_ptr<comm::Work> WeightReceiver::launch(void* data, size_t bytes) {
  if (mpi_ != nullptr) return comm::start_broadcast(*mpi_, data, bytes, 0);
  comm_.broadcast(data, bytes, 0);
  return nullptr;
}

std::string WeightReceiver::check_manifest() const {
  const uint64_t version = incoming_->header[0];
  if (incoming_->manifest != manifest_) {
    std::vector<std::string> theirs;
    try {
      theirs = manifest_entries(incoming_->manifest);
    } catch (const Error& e) {
      return fmt::format("its manifest is unreadable: {}", e.what());
    }
    const std::vector<std::string> mine = manifest_entries(manifest_);
    for (size_t i = 0; i < std::max(theirs.size(), mine.size()); ++i) {
      const std::string t = i < theirs.size() ? theirs[i] : "nothing";
      const std::string m = i < mine.size() ? mine[i] : "nothing";
      if (t != m) return fmt::format("tensor {} is '{}' at the publisher, '{}' here", i, t, m);
    }
  } else if (version <= current()->version) {
    return fmt::format("version {} arrived after version {}; versions must increase", version, current()->version);
  }
  return "";
}

void WeightReceiver::start() {
  if (incoming_) throw UsageError("WeightReceiver::start: a receive is already in progress");
  incoming_ = std::make_unique<Incoming>();
  // Without MPI the collectives block, so they wait for finish().
  if (mpi_ != nullptr) incoming_->works.push_back(launch(incoming_->header.data(), sizeof incoming_->header));
}

bool WeightReceiver::advance(bool block) {
  if (mpi_ == nullptr && !block) return false;
  Incoming& in = *incoming_;
  if (mpi_ == nullptr && in.stage == Stage::kHeader && in.works.empty()) {
    in.works.push_back(launch(in.header.data(), sizeof in.header));
  }
  const auto arrived = [&] {
    for (std::unique_ptr<comm::Work>& work : in.works) {
      if (!work) continue;
      if (block) {
        work->wait();
      } else if (!work->poll()) {
        return false;
      }
      work.reset();
    }
    in.works.clear();
    return true;
  };
  while (in.stage != Stage::kComplete) {
    if (!arrived()) return false;
    switch (in.stage) {
      case Stage::kHeader:
        in.manifest.assign(in.header[1], 0);
        in.works.push_back(launch(in.manifest.data(), in.manifest.size()));
        in.stage = Stage::kManifest;
        break;
      case Stage::kManifest:
        in.problem = check_manifest();
        in.objection = in.problem.empty() ? 0 : 1;
        if (mpi_ != nullptr) {
          in.works.push_back(comm::start_max(*mpi_, &in.objection));
        } else {
          comm_.all_reduce(&in.objection, 1, comm::DataType::kInt32, comm::ReduceOp::kMax);
        }
        in.stage = Stage::kVerdict;
        break;
      case Stage::kVerdict: {
        if (!in.problem.empty() || in.objection != 0) {
          const uint64_t version = in.header[0];
          const std::string problem = in.problem;
          incoming_.reset();  // nothing is in flight any more
          if (!problem.empty()) {
            throw comm::CommError(
                fmt::format("weight sync of version {} on rank {}: {}", version, comm_.rank(), problem));
          }
          throw comm::CommError(
              fmt::format("weight sync of version {}: another receiver expects different tensors", version));
        }
        in.staging = take_staging();
        // Every bucket is posted at once (collectives on one communicator match in order), so all of them move
        // whenever MPI runs.
        const auto bucket_size = static_cast<int64_t>(bucket_bytes_);
        auto* storage = static_cast<uint8_t*>(in.staging->storage.data_ptr());
        for (int64_t start = 0; start < stream_bytes_; start += bucket_size) {
          const int64_t length = std::min(stream_bytes_, start + bucket_size) - start;
          in.works.push_back(launch(storage + start, static_cast<size_t>(length)));
        }
        in.stage = Stage::kBuckets;
        break;
      }
      case Stage::kBuckets: in.stage = Stage::kComplete; break;
      case Stage::kComplete: break;
    }
  }
  return true;
}

bool WeightReceiver::progress() {
  if (!incoming_) throw UsageError("WeightReceiver::progress: no receive was started");
  return advance(/*block=*/false);
}

uint64_t WeightReceiver::finish() {
  if (!incoming_) throw UsageError("WeightReceiver::finish: no receive was started");
  advance(/*block=*/true);
  std::shared_ptr<WeightSnapshot> staging = std::move(incoming_->staging);
  staging->version = incoming_->header[0];
  incoming_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  retired_ = std::move(current_);
  current_ = std::move(staging);
  return current_->version;
}

uint64_t WeightReceiver::receive() {
  start();
  return finish();
}

WeightReceiver::~WeightReceiver() {
  if (!incoming_ || std::uncaught_exceptions() == 0) return;  // a normal end waits for what is in flight
  // Unwinding mid-receive: the rank is ending the job (comm/rank_main.h). MPI may still write the buffers and
  // the publisher may never come, so neither wait nor free: the process exit reclaims them.
  static_cast<void>(incoming_.release());
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
