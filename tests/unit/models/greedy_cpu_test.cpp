// Greedy decoding's one-read pick on the CPU (models/greedy_cpu.h) against ATen's max and log_softmax, and the
// properties generation relies on: the first maximum, the same bits for a row wherever it sits and however many
// threads run, and NaN and -inf rows handled as ATen handles them.
#include "models/greedy_cpu.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace spct::models;

namespace {

// What sample_next computed for greedy before this kernel: ATen on float32.
GreedyPick aten_pick(const at::Tensor& logits) {
  const at::Tensor x = logits.to(at::kFloat);
  const at::Tensor tokens = std::get<1>(x.max(-1));
  return GreedyPick{tokens, at::log_softmax(x, -1).gather(1, tokens.unsqueeze(1)).squeeze(1)};
}

}  // namespace

TEST_CASE("the greedy pick equals ATen's max and log_softmax on float32 and bfloat16 logits", "[greedy_cpu]") {
  at::manual_seed(11);
  // Vocabularies shorter than, equal to and just past the 16 reduction lanes, and Qwen2.5's 151936.
  for (const int64_t v : {int64_t{1}, int64_t{5}, int64_t{16}, int64_t{17}, int64_t{1000}, int64_t{151936}}) {
    for (const double scale : {0.1, 4.0}) {
      const at::Tensor f32 = at::randn({6, v}) * scale;
      for (const at::Tensor& logits : {f32, f32.to(at::kBFloat16)}) {
        INFO("vocabulary " << v << ", scale " << scale << ", " << logits.scalar_type());
        REQUIRE(greedy_pick_cpu_applies(logits));
        const GreedyPick got = greedy_pick_cpu(logits);
        const GreedyPick want = aten_pick(logits);
        CHECK(at::equal(got.tokens, want.tokens));
        CHECK((got.logprobs - want.logprobs).abs().max().item<float>() <= 1e-6F);
        CHECK(got.logprobs.le(0).all().item<bool>());
      }
    }
  }
}

TEST_CASE("the greedy pick takes the first of equal maxima, and -inf logits add nothing", "[greedy_cpu]") {
  const float inf = std::numeric_limits<float>::infinity();
  at::Tensor logits = at::randn({4, 100});
  logits[0][37] = 9;
  logits[0][5] = 9;  // another lane, earlier: wins
  logits[1][21] = 9;
  logits[1][37] = 9;  // the same lane (16 apart), later: loses
  logits[2][99] = 9;  // the remainder past the last whole block of lanes
  logits[3].fill_(-inf);
  logits[3][60] = 0;  // one finite logit among -inf: probability 1
  const GreedyPick got = greedy_pick_cpu(logits);
  CHECK(got.tokens[0].item<int64_t>() == 5);
  CHECK(got.tokens[1].item<int64_t>() == 21);
  CHECK(got.tokens[2].item<int64_t>() == 99);
  CHECK(got.tokens[3].item<int64_t>() == 60);
  CHECK(got.logprobs[3].item<float>() == 0.0F);
  CHECK(at::equal(got.tokens, aten_pick(logits).tokens));
}

TEST_CASE("the greedy pick gives NaN rows and all -inf rows what ATen gives them", "[greedy_cpu]") {
  const float inf = std::numeric_limits<float>::infinity();
  at::Tensor logits = at::randn({2, 40});
  logits[0][30] = std::numeric_limits<float>::quiet_NaN();
  logits[0][7] = std::numeric_limits<float>::quiet_NaN();
  logits[1].fill_(-inf);
  const GreedyPick got = greedy_pick_cpu(logits);
  const GreedyPick want = aten_pick(logits);
  CHECK(at::equal(got.tokens, want.tokens));
  CHECK(got.tokens[0].item<int64_t>() == 7);
  CHECK(std::isnan(got.logprobs[0].item<float>()));
  CHECK(std::isnan(got.logprobs[1].item<float>()) == std::isnan(want.logprobs[1].item<float>()));
}

TEST_CASE("the greedy pick gives a row the same bits wherever it sits and however many threads run", "[greedy_cpu]") {
  at::manual_seed(12);
  const int64_t v = 32003;
  const at::Tensor rows = at::randn({8, v}) * 3;
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const GreedyPick one = greedy_pick_cpu(rows);
  at::set_num_threads(2);
  const GreedyPick two = greedy_pick_cpu(rows);
  // The same rows at odd offsets inside wider rows (stride v + 3, each row starting 1 element in), and alone.
  const at::Tensor wide = at::zeros({8, v + 3});
  wide.narrow(1, 1, v).copy_(rows);
  const GreedyPick offset = greedy_pick_cpu(wide.narrow(1, 1, v));
  const GreedyPick alone = greedy_pick_cpu(rows.narrow(0, 5, 1));
  at::set_num_threads(threads);
  for (const GreedyPick* pick : {&two, &offset}) {
    CHECK(at::equal(pick->tokens, one.tokens));
    CHECK(at::equal(pick->logprobs, one.logprobs));
  }
  CHECK(alone.tokens[0].item<int64_t>() == one.tokens[5].item<int64_t>());
  CHECK(alone.logprobs[0].item<float>() == one.logprobs[5].item<float>());
}

TEST_CASE("the greedy pick takes only CPU float32 and bfloat16 logits with contiguous rows", "[greedy_cpu]") {
  CHECK(greedy_pick_cpu_applies(at::zeros({2, 8})));
  CHECK(greedy_pick_cpu_applies(at::zeros({2, 8}, at::kBFloat16)));
  CHECK_FALSE(greedy_pick_cpu_applies(at::zeros({2, 8}, at::kHalf)));
  CHECK_FALSE(greedy_pick_cpu_applies(at::zeros({2, 8}, at::kDouble)));
  CHECK_FALSE(greedy_pick_cpu_applies(at::zeros({8, 2}).t()));
  CHECK_FALSE(greedy_pick_cpu_applies(at::zeros({8})));
  CHECK_FALSE(greedy_pick_cpu_applies(at::zeros({2, 0})));
}
