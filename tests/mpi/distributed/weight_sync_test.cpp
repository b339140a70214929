// Weight sync under real mpiexec (2 and 4 ranks): rank 0 publishes versions of a mixed list of tensors in
// buckets smaller than the tensors; every receiver gets them bit for bit, swaps only complete versions, and a
// reader that holds a snapshot never sees it change.
#include "distributed/weight_sync.h"

#include <ATen/Parallel.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "core/comm/comm_error.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using distributed::NamedTensors;
using distributed::WeightPublisher;
using distributed::WeightReceiver;

namespace {

// The weights of `version`: every element is a function of the version, so a mix of versions is visible.
NamedTensors weights(uint64_t version) {
  const double v = static_cast<double>(version);
  return {{"embed", at::arange(1000, at::kFloat).add(v * 1000)},
          {"layers.0.w", at::full({7, 13}, v, at::kDouble)},
          {"step_counter", at::full({3}, static_cast<int64_t>(version), at::kLong)},
          {"norm", at::full({5}, v / 2, at::kBFloat16)},
          {"empty", at::zeros({0}, at::kFloat)}};
}

bool is_version(const NamedTensors& tensors, uint64_t version) {
  const NamedTensors want = weights(version);
  if (tensors.size() != want.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (tensors[i].first != want[i].first || !at::equal(tensors[i].second, want[i].second)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("receivers get every version whole and bit for bit", "[weight_sync]") {
  at::set_num_threads(1);
  test::MpiFixture f;
  constexpr size_t kBucketBytes = 1000;  // smaller than "embed" (4000 bytes): tensors span buckets
  if (f.world.rank() == 0) {
    WeightPublisher publisher(f.world, kBucketBytes);
    for (uint64_t version = 1; version <= 3; ++version) publisher.publish(version, weights(version));
  } else {
    WeightReceiver receiver(f.world, weights(0), 0, kBucketBytes);
    CHECK(receiver.current()->version == 0);
    // A reader thread takes snapshots while versions arrive; each must be one whole version.
    std::atomic<bool> stop = false;
    std::atomic<int> mixed = 0;
    std::atomic<int> reads = 0;
    std::thread reader([&] {
      do {  // at least one read, however late a loaded machine schedules this thread
        const auto snapshot = receiver.current();
        if (!is_version(snapshot->tensors, snapshot->version)) ++mixed;
        ++reads;
      } while (!stop);
    });
    const auto held = receiver.current();  // held across every publish: must stay version 0
    for (uint64_t version = 1; version <= 3; ++version) {
      CHECK(receiver.receive() == version);
      CHECK(receiver.current()->version == version);
      CHECK(is_version(receiver.current()->tensors, version));
    }
    stop = true;
    reader.join();
    CHECK(mixed == 0);
    CHECK(reads > 0);
    CHECK(held->version == 0);
    CHECK(is_version(held->tensors, 0));

    // copy_into writes the current version into a model's own tensors.
    NamedTensors model = weights(0);
    receiver.copy_into(model);
    CHECK(is_version(model, 3));
  }
  f.world.barrier();
}

TEST_CASE("a receiver that expects other tensors stops every rank before weights move", "[weight_sync]") {
  test::MpiFixture f;
  if (f.world.size() == 1) return;
  const int odd_one = f.world.size() - 1;
  if (f.world.rank() == 0) {
    WeightPublisher publisher(f.world, 1 << 20);
    CHECK_THROWS_WITH(publisher.publish(1, weights(1)),
                      Catch::Matchers::Contains("a receiver expects different tensors"));
  } else {
    NamedTensors expected = weights(0);
    if (f.world.rank() == odd_one) expected[1].second = at::zeros({7, 12}, at::kDouble);
    WeightReceiver receiver(f.world, expected, 0, 1 << 20);
    if (f.world.rank() == odd_one) {
      CHECK_THROWS_WITH(receiver.receive(),
                        Catch::Matchers::Contains("tensor 1 is 'layers.0.w [7, 13] Double at byte 4032' at the "
                                                  "publisher, 'layers.0.w [7, 12] Double at byte 4032' here"));
    } else {
      CHECK_THROWS_WITH(receiver.receive(), Catch::Matchers::Contains("another receiver expects different tensors"));
    }
    CHECK(receiver.current()->version == 0);
  }
  f.world.barrier();
}

TEST_CASE("versions must increase", "[weight_sync]") {
  test::MpiFixture f;
  if (f.world.rank() == 0) {
    WeightPublisher publisher(f.world, 4096);
    publisher.publish(5, weights(5));
    CHECK_THROWS_AS(publisher.publish(4, weights(4)), comm::CommError);
  } else {
    WeightReceiver receiver(f.world, weights(0), 0, 4096);
    CHECK(receiver.receive() == 5);
    CHECK_THROWS_WITH(receiver.receive(), Catch::Matchers::Contains("version 4 arrived after version 5"));
    CHECK(receiver.current()->version == 5);
  }
  f.world.barrier();
}

TEST_CASE("an overlapped receive swaps only at finish() and delivers what a blocking receive does", "[weight_sync]") {
  test::MpiFixture f;
  constexpr size_t kBucketBytes = 1000;
  if (f.world.rank() == 0) {
    WeightPublisher publisher(f.world, kBucketBytes);
    // Version 1 twice: once for a blocking receiver, once for an overlapped one (each publish is one collective).
    for (const uint64_t version : {1, 1, 2, 3}) publisher.publish(version, weights(version));
  } else {
    WeightReceiver blocking(f.world, weights(0), 0, kBucketBytes);
    CHECK(blocking.receive() == 1);
    WeightReceiver overlapped(f.world, weights(0), 0, kBucketBytes);
    CHECK(overlapped.overlaps());  // an MPI communicator
    CHECK_FALSE(overlapped.receiving());
    overlapped.start();
    CHECK(overlapped.receiving());
    // The work meanwhile: reads of the current version, which must not change while bytes arrive.
    while (!overlapped.progress()) CHECK(overlapped.current()->version == 0);
    CHECK(overlapped.current()->version == 0);  // arrived, but swapped only at finish()
    CHECK(is_version(overlapped.current()->tensors, 0));
    CHECK(overlapped.finish() == 1);
    CHECK_FALSE(overlapped.receiving());
    const NamedTensors& got = overlapped.current()->tensors;
    const NamedTensors& reference = blocking.current()->tensors;
    REQUIRE(got.size() == reference.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(at::equal(got[i].second, reference[i].second));

    // Started and finished without a single progress(): finish() does all the work.
    overlapped.start();
    CHECK(overlapped.finish() == 2);
    CHECK(is_version(overlapped.current()->tensors, 2));
    CHECK(overlapped.receive() == 3);
    CHECK(is_version(overlapped.current()->tensors, 3));
    CHECK_THROWS_WITH(overlapped.finish(), Catch::Matchers::Contains("no receive was started"));
  }
  f.world.barrier();
}

TEST_CASE("a mismatch found by an overlapped receive stops every rank before weights move", "[weight_sync]") {
  test::MpiFixture f;
  if (f.world.size() == 1) return;
  const int odd_one = f.world.size() - 1;
  if (f.world.rank() == 0) {
    WeightPublisher publisher(f.world, 1 << 20);
    CHECK_THROWS_WITH(publisher.publish(1, weights(1)),
                      Catch::Matchers::Contains("a receiver expects different tensors"));
  } else {
    NamedTensors expected = weights(0);
    if (f.world.rank() == odd_one) expected[2].second = at::zeros({3}, at::kInt);
    WeightReceiver receiver(f.world, expected, 0, 1 << 20);
    receiver.start();
    const auto poll_until_done = [&] {
      while (!receiver.progress()) {
      }
    };
    if (f.world.rank() == odd_one) {
      CHECK_THROWS_WITH(poll_until_done(), Catch::Matchers::Contains("tensor 2 is 'step_counter [3] Long at byte "));
    } else {
      CHECK_THROWS_WITH(poll_until_done(), Catch::Matchers::Contains("another receiver expects different tensors"));
    }
    CHECK_FALSE(receiver.receiving());
    CHECK(receiver.current()->version == 0);
  }
  f.world.barrier();
}
