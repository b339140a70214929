// GradSync under real mpiexec (2 and 4 ranks): N ranks that each see 1/N of a batch and average gradients take
// the same step as one process that sees the whole batch, and every rank ends with identical parameters.
//
// Tolerance: float32 parameters after 3 SGD steps agree with the single-process run to rtol 1e-5, atol 1e-6 (the
// only difference is the order in which per-sample gradients are summed); ranks agree with each other bitwise.
// bf16 gradients: within one bf16 rounding of the float32 mean of the ranks' gradients.
#include "distributed/grad_sync.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/zeros.h>

#include <catch2/catch.hpp>

#include "core/comm/comm_error.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using distributed::GradSync;
using distributed::NamedTensors;

namespace {

constexpr int64_t kBatch = 24;  // divisible by 1, 2, 3, 4 ranks
constexpr int64_t kIn = 8;
constexpr int64_t kHidden = 16;
constexpr int64_t kOut = 4;

// Deterministic values without a random generator: the same on every rank and in every run.
at::Tensor pattern(std::vector<int64_t> shape, double phase) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return at::arange(n, at::kDouble).mul(0.37).add(phase).sin().mul(0.5).to(at::kFloat).reshape(shape);
}

// A two-layer tanh MLP, plus an `unused` parameter the loss never touches (it has no gradient).
NamedTensors make_params(at::ScalarType dtype = at::kFloat) {
  NamedTensors params = {{"w1", pattern({kHidden, kIn}, 0.1)},
                         {"b1", pattern({kHidden}, 0.2)},
                         {"w2", pattern({kOut, kHidden}, 0.3)},
                         {"b2", pattern({kOut}, 0.4)},
                         {"unused", pattern({3}, 0.5)}};
  for (auto& entry : params) entry.second = entry.second.to(dtype).requires_grad_(true);
  return params;
}

// Mean squared error over `rows` of the global batch.
at::Tensor loss_on(const NamedTensors& p, int64_t first, int64_t rows) {
  const auto dtype = p[0].second.scalar_type();
  const at::Tensor x = pattern({kBatch, kIn}, 1.0).narrow(0, first, rows).to(dtype);
  const at::Tensor y = pattern({kBatch, kOut}, 2.0).narrow(0, first, rows).to(dtype);
  const at::Tensor hidden = x.matmul(p[0].second.t()).add(p[1].second).tanh();
  const at::Tensor out = hidden.matmul(p[2].second.t()).add(p[3].second);
  return out.sub(y).pow(2).mean();
}

// Bitwise agreement across ranks: the max and the min over ranks of every element are equal. Collective.
bool same_on_every_rank(comm::Communicator& comm, const at::Tensor& tensor) {
  at::Tensor max = tensor.detach().to(at::kFloat).contiguous().clone();
  at::Tensor min = max.clone();
  comm.all_reduce(max.data_ptr(), static_cast<size_t>(max.numel()), comm::DataType::kFloat32, comm::ReduceOp::kMax);
  comm.all_reduce(min.data_ptr(), static_cast<size_t>(min.numel()), comm::DataType::kFloat32, comm::ReduceOp::kMin);
  return at::equal(max, min);
}

void sgd_step(const NamedTensors& params, double lr) {
  at::NoGradGuard no_grad;
  for (const auto& entry : params) {
    at::Tensor p = entry.second;
    if (p.grad().defined()) {
      p.sub_(p.grad().mul(lr));
      p.mutable_grad().zero_();
    }
  }
}

NamedTensors train(comm::Communicator* comm, size_t bucket_bytes, int steps) {
  NamedTensors params = make_params();
  std::unique_ptr<GradSync> sync;
  if (comm) sync = std::make_unique<GradSync>(*comm, params, bucket_bytes);
  const int64_t shards = comm ? comm->size() : 1;
  const int64_t rows = kBatch / shards;
  const int64_t first = comm ? comm->rank() * rows : 0;
  for (int step = 0; step < steps; ++step) {
    loss_on(params, first, rows).backward();
    if (sync) sync->sync();
    sgd_step(params, 0.1);
  }
  return params;
}

}  // namespace

TEST_CASE("a data-parallel step equals a single-process step on the whole batch", "[grad_sync]") {
  at::set_num_threads(1);
  test::MpiFixture f;
  const NamedTensors reference = train(nullptr, 0, 3);
  for (const size_t bucket_bytes : {size_t{64}, size_t{1000}, size_t{25} << 20}) {
    INFO("bucket bytes " << bucket_bytes);
    const NamedTensors params = train(&f.world, bucket_bytes, 3);
    for (size_t i = 0; i < params.size(); ++i) {
      INFO(params[i].first);
      CHECK(at::allclose(params[i].second, reference[i].second, 1e-5, 1e-6));
      CHECK(same_on_every_rank(f.world, params[i].second));
    }
    // After sync the gradients live in the buckets, so later steps (zeroed in place) skip the copy; the
    // results above cover both paths. Resetting a gradient to a new tensor takes the copying path again: the
    // gradient moves into the new bucket (allocated while the new tensor is alive, so at another address; the
    // old bucket's address may be reused and proves nothing).
    params[0].second.mutable_grad() = at::ones_like(params[0].second);
    const void* fresh = params[0].second.grad().data_ptr();
    GradSync again(f.world, params, bucket_bytes);
    again.sync();
    CHECK(params[0].second.grad().data_ptr() != fresh);
    CHECK(at::equal(params[0].second.grad(), at::ones_like(params[0].second)));
    // The parameter without a gradient got a zero gradient everywhere, and did not move.
    CHECK(params[4].second.grad().defined());
    CHECK(at::equal(params[4].second, reference[4].second));
  }
}

TEST_CASE("buckets follow the configured size and hold one parameter at least", "[grad_sync]") {
  test::MpiFixture f;
  const NamedTensors params = make_params();
  // w1 128 + b1 16 + w2 64 + b2 4 + unused 3 floats = 215 floats = 860 bytes.
  CHECK(GradSync(f.world, params, 1 << 20).bucket_count() == 1);
  CHECK(GradSync(f.world, params, 1 << 20).total_bytes() == 860);
  CHECK(GradSync(f.world, params, 4).bucket_count() == 5);
  // Reverse order (unused 12, b2 16, w2 256, b1 64, w1 512 bytes): 300 gives [unused b2 w2] [b1] [w1];
  // 600 gives [unused b2 w2 b1] [w1].
  CHECK(GradSync(f.world, params, 300).bucket_count() == 3);
  CHECK(GradSync(f.world, params, 600).bucket_count() == 2);
}

TEST_CASE("ranks with different parameter lists are refused on every rank", "[grad_sync]") {
  test::MpiFixture f;
  NamedTensors params = make_params();
  if (f.world.rank() == f.world.size() - 1) params[2].second = pattern({kOut, kHidden + 1}, 0.3);
  if (f.world.size() == 1) return;
  CHECK_THROWS_WITH(GradSync(f.world, params, 1024),
                    Catch::Matchers::Contains("learner parameters differ between ranks") &&
                        Catch::Matchers::Contains("entry 2 is 'w2 [4, 16] Float' on rank 0 and 'w2 [4, 17] Float'"));
}

namespace {

// Gradients after one data-parallel step of two accumulated micro-batches: each rank's share of the batch in two
// halves. `overlap`: arm() before the second backward, so its hooks start buckets while backward runs.
NamedTensors accumulated_gradients(comm::Communicator& comm, NamedTensors params, size_t bucket_bytes, bool overlap,
                                   size_t* started) {
  GradSync sync(comm, params, bucket_bytes);
  const int64_t rows = kBatch / comm.size();
  const int64_t first = comm.rank() * rows;
  loss_on(params, first, rows / 2).backward();
  if (overlap) sync.arm();
  loss_on(params, first + rows / 2, rows - rows / 2).backward();
  sync.sync();
  if (started != nullptr) *started = sync.started_in_backward();
  NamedTensors grads;
  for (const auto& [name, param] : params) grads.emplace_back(name, param.grad().clone());
  return grads;
}

}  // namespace

TEST_CASE("buckets started from autograd hooks give the sequential sync's gradients", "[grad_sync]") {
  at::set_num_threads(1);
  test::MpiFixture f;
  for (const size_t bucket_bytes : {size_t{64}, size_t{300}, size_t{25} << 20}) {
    INFO("bucket bytes " << bucket_bytes);
    size_t started = 0;
    const NamedTensors sequential = accumulated_gradients(f.world, make_params(), bucket_bytes, false, &started);
    CHECK(started == 0);
    const NamedTensors overlapped = accumulated_gradients(f.world, make_params(), bucket_bytes, true, &started);
    // The unused parameter is last, so its bucket comes first in backward order and never fills: buckets start
    // in order, so nothing may start before sync() (every rank starts the same collectives in the same order).
    CHECK(started == 0);
    for (size_t i = 0; i < sequential.size(); ++i) {
      INFO(sequential[i].first);
      // The hook adds the same two float32 terms autograd adds: bitwise equal.
      CHECK(at::equal(sequential[i].second, overlapped[i].second));
    }
  }
}

TEST_CASE("with every parameter used, every bucket starts during backward", "[grad_sync]") {
  at::set_num_threads(1);
  test::MpiFixture f;
  NamedTensors used = make_params();
  used.pop_back();  // drop `unused`
  size_t started = 0;
  NamedTensors fresh = make_params();
  fresh.pop_back();
  const NamedTensors sequential = accumulated_gradients(f.world, fresh, 64, false, &started);
  const NamedTensors overlapped = accumulated_gradients(f.world, used, 64, true, &started);
  CHECK(started == GradSync(f.world, used, 64).bucket_count());
  CHECK(started == 4);
  for (size_t i = 0; i < sequential.size(); ++i) CHECK(at::equal(sequential[i].second, overlapped[i].second));
  // A second armed step on the same GradSync: the buckets were reset, and gradients that now alias the buckets
  // (zeroed in place) are detached before backward so autograd does not write into a bucket in flight.
  GradSync sync(f.world, used, 64);
  for (int step = 0; step < 2; ++step) {
    for (auto& entry : used) {
      if (entry.second.grad().defined()) entry.second.mutable_grad().zero_();
    }
    sync.arm();
    loss_on(used, f.world.rank() * (kBatch / f.world.size()), kBatch / f.world.size()).backward();
    sync.sync();
    CHECK(sync.started_in_backward() == 4);
  }
  for (size_t i = 0; i < used.size(); ++i) {
    // One pass over the whole share vs two halves: the loss is a mean over rows, so the two half-batch means
    // accumulate twice the whole-share gradient (up to float32 summation order).
    CHECK(at::allclose(used[i].second.grad(), sequential[i].second.mul(0.5), 1e-5, 1e-6));
  }
}

TEST_CASE("bfloat16 gradients are averaged in float32 and rounded to bfloat16 once", "[grad_sync]") {
  at::set_num_threads(1);
  test::MpiFixture f;
  const int64_t rows = kBatch / f.world.size();
  // The expected average, computed here from every rank's share: the float32 mean of the bf16 gradients.
  std::vector<at::Tensor> expected;
  for (int rank = 0; rank < f.world.size(); ++rank) {
    const NamedTensors own = make_params(at::kBFloat16);
    loss_on(own, rank * rows, rows).backward();
    for (size_t i = 0; i + 1 < own.size(); ++i) {
      const at::Tensor part = own[i].second.grad().to(at::kFloat);
      if (rank == 0) {
        expected.push_back(part);
      } else {
        expected[i] = expected[i].add(part);
      }
    }
  }

  const NamedTensors params = make_params(at::kBFloat16);
  GradSync sync(f.world, params, 300);
  // Buckets are float32: the same layout and bytes as float32 parameters.
  CHECK(sync.total_bytes() == 860);
  CHECK(sync.bucket_count() == 3);
  loss_on(params, f.world.rank() * rows, rows).backward();
  sync.sync();
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    INFO(params[i].first);
    const at::Tensor grad = params[i].second.grad();
    REQUIRE(grad.scalar_type() == at::kBFloat16);
    // Within one bf16 rounding of the float32 mean (the ranks may sum in another order than this loop).
    const at::Tensor mean = expected[i].div(static_cast<double>(f.world.size()));
    CHECK(at::allclose(grad.to(at::kFloat), mean, 1.0 / 128, 1e-6));
    CHECK(same_on_every_rank(f.world, grad));
  }
  CHECK(params.back().second.grad().scalar_type() == at::kBFloat16);

  // Accumulated micro-batches with buckets started from the hooks: the hook sums the two bf16 terms in float32,
  // autograd in bf16, so the two paths differ by one bf16 rounding of each rank's sum, which is an absolute
  // error on the scale of the gradient (the ranks' sums may cancel in the average).
  size_t started = 0;
  const NamedTensors sequential = accumulated_gradients(f.world, make_params(at::kBFloat16), 64, false, &started);
  const NamedTensors overlapped = accumulated_gradients(f.world, make_params(at::kBFloat16), 64, true, &started);
  for (size_t i = 0; i < sequential.size(); ++i) {
    INFO(sequential[i].first);
    CHECK(overlapped[i].second.scalar_type() == at::kBFloat16);
    const at::Tensor reference = sequential[i].second.to(at::kFloat);
    const double scale = reference.abs().max().item<double>();
    CHECK(at::allclose(reference, overlapped[i].second.to(at::kFloat), 1.0 / 64, scale / 64));
  }
}

TEST_CASE("parameters whose gradients cannot be averaged are refused by name", "[grad_sync]") {
  test::MpiFixture f;
  NamedTensors params = make_params();
  params[1].second = at::zeros({kHidden}, at::kInt);
  CHECK_THROWS_WITH(GradSync(f.world, params, 1024),
                    Catch::Matchers::Contains("parameter 'b1' is Int") &&
                        Catch::Matchers::Contains("float32, float64, bfloat16 and float16"));
}
