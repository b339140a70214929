// The weight sync of a bfloat16 policy under real mpiexec (2 and 4 ranks): rank 0 is a learner that keeps
// float32 masters (learner/optimizer.h) and takes an AdamW step; the rollout ranks receive its bf16 compute
// weights bit for bit, in half the bytes the same weights take in float32.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/zeros.h>

#include <catch2/catch.hpp>

#include "distributed/weight_sync.h"
#include "learner/optimizer.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using distributed::NamedTensors;
using distributed::WeightPublisher;
using distributed::WeightReceiver;

namespace {

// A small transformer-like list, every size a multiple of 32 elements (so the 64-byte alignment of the byte
// stream pads neither dtype and the halving is exact).
NamedTensors make_weights(at::ScalarType type) {
  NamedTensors out;
  double phase = 0.1;
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"embed", {96, 32}}, {"layers.0.qkv", {32, 96}}, {"layers.0.norm", {32}}, {"lm_head", {96, 32}}}) {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    out.emplace_back(name, at::arange(n, at::kDouble).mul(0.37).add(phase).sin().to(type).reshape(shape));
    phase += 1;
  }
  return out;
}

// The bytes of every tensor as rank 0 holds them, on every rank, by a plain broadcast (not the weight sync).
NamedTensors rank0_copy(comm::Communicator& comm, const NamedTensors& tensors) {
  NamedTensors out;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor copy = tensor.detach().clone();
    comm.broadcast(copy.data_ptr(), copy.nbytes(), 0);
    out.emplace_back(name, copy);
  }
  return out;
}

}  // namespace

TEST_CASE("after a bfloat16 step the rollout ranks hold the learner's compute weights bit for bit, in half the bytes",
          "[weight_sync]") {
  test::MpiFixture f;
  constexpr size_t kBucketBytes = 1000;  // buckets cut through tensors
  NamedTensors weights = make_weights(at::kBFloat16);
  if (f.world.rank() == 0) {
    std::vector<at::Tensor> params;
    for (auto& [name, p] : weights) params.push_back(p.requires_grad_());
    learner::AdamW optimizer(params, {.lr = 1e-3});
    for (at::Tensor& p : params)
      p.mutable_grad() = at::arange(p.numel(), at::kFloat).cos().to(at::kBFloat16).reshape(p.sizes());
    optimizer.step();
    // The learner keeps float32 masters that bf16 cannot represent: what travels is their rounding.
    bool master_finer = false;
    for (const auto& [name, state] : optimizer.state()) {
      if (name.rfind("master.", 0) != 0) continue;
      CHECK(state.scalar_type() == at::kFloat);
      const at::Tensor& param = params.at(std::stoul(name.substr(7)));
      CHECK(at::equal(state.to(at::kBFloat16), param.detach()));
      master_finer = master_finer || !at::equal(state, param.detach().to(at::kFloat));
    }
    CHECK(master_finer);

    WeightPublisher publisher(f.world, kBucketBytes);
    publisher.publish(1, weights);
    const int64_t bf16_bytes = publisher.bytes_sent();
    NamedTensors as_float;
    for (const auto& [name, p] : weights) as_float.emplace_back(name, p.detach().to(at::kFloat));
    publisher.publish(1, as_float);
    const int64_t float_bytes = publisher.bytes_sent();
    CHECK(float_bytes == 4 * 32 * (96 + 96 + 1 + 96));
    CHECK(bf16_bytes * 2 == float_bytes);
    rank0_copy(f.world, weights);
  } else {
    NamedTensors model = make_weights(at::kBFloat16);
    WeightReceiver receiver(f.world, model, 0, kBucketBytes);
    CHECK(receiver.receive() == 1);
    receiver.copy_into(model);
    // A receiver expecting float32 takes the second publish: the manifest says which dtype travels.
    WeightReceiver float_receiver(f.world, make_weights(at::kFloat), 0, kBucketBytes);
    CHECK(float_receiver.receive() == 1);
    const NamedTensors learner = rank0_copy(f.world, model);
    for (size_t i = 0; i < model.size(); ++i) {
      INFO(model[i].first);
      CHECK(model[i].second.scalar_type() == at::kBFloat16);
      CHECK(at::equal(model[i].second, learner[i].second));
      CHECK(!at::equal(model[i].second, make_weights(at::kBFloat16)[i].second));  // the step moved it
      CHECK(at::equal(float_receiver.current()->tensors[i].second.to(at::kBFloat16), learner[i].second));
    }
  }
  f.world.barrier();
}
