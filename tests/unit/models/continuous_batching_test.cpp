// Prefix sharing and continuous batching under a KV budget (models/generation.h): the scheduler changes what
// runs together and when, never what a request samples.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "models/generation.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

const std::vector<std::vector<int64_t>> kPrompts = {
    {3, 14, 15, 92, 65}, {35, 89}, {79, 32, 38, 46, 26, 43, 38, 32, 7, 50, 28}, {41, 97 - 1, 2}};

// G requests per prompt, seeded by (prompt, sample) as the rollout worker seeds them, not by batch position.
std::vector<GenerationRequest> groups(int group_size) {
  std::vector<GenerationRequest> out;
  for (size_t p = 0; p < kPrompts.size(); ++p) {
    for (int s = 0; s < group_size; ++s) out.push_back({kPrompts[p], 1000 * (p + 1) + static_cast<uint64_t>(s)});
  }
  return out;
}

// Sampled, with stop tokens common enough that sequences end at different steps (so rows leave and join).
SamplingParams ragged_sampling() {
  SamplingParams params;
  params.temperature = 1.3;
  params.max_new_tokens = 24;
  params.stop_token_ids = {5, 17, 60, 88};
  return params;
}

// Same tokens and finish reasons; log-probs equal up to fp32 rounding of differently shaped batches.
void check_same(const std::vector<Completion>& a, const std::vector<Completion>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("request " << i);
    REQUIRE(a[i].tokens == b[i].tokens);
    CHECK(a[i].finish_reason == b[i].finish_reason);
    for (size_t t = 0; t < a[i].tokens.size(); ++t) {
      CHECK(std::abs(a[i].logprobs[t] - b[i].logprobs[t]) <= 1e-5);
      CHECK(std::abs(a[i].sampling_logprobs[t] - b[i].sampling_logprobs[t]) <= 1e-5);
    }
  }
}

int64_t total_prompt_tokens(int group_size) {
  int64_t n = 0;
  for (const auto& p : kPrompts) n += static_cast<int64_t>(p.size()) * group_size;
  return n;
}

}  // namespace

TEST_CASE("prefix sharing prefills each prompt once and samples what the unshared path samples") {
  for (const Family family : {Family::kLlama, Family::kQwen2, Family::kQwen3}) {
    const Transformer m(tiny_config(family), 21);
    const int g = 4;
    GenerationStats shared_stats;
    GenerationStats copied_stats;
    const auto shared = generate(m, groups(g), ragged_sampling(), {.share_prefixes = true}, &shared_stats);
    const auto copied = generate(m, groups(g), ragged_sampling(), {.share_prefixes = false}, &copied_stats);
    check_same(shared, copied);
    CHECK(shared_stats.prefill_tokens == total_prompt_tokens(1));
    CHECK(copied_stats.prefill_tokens == total_prompt_tokens(g));
    // The samples of a group differ (their seeds do): forking the cache did not tie their generators.
    CHECK(shared[0].tokens != shared[1].tokens);
  }
}

TEST_CASE("continuous batching with a row limit gives the samples of one batch") {
  const Transformer m(tiny_config(Family::kQwen2), 22);
  const auto plain = generate(m, groups(3), ragged_sampling(), {.share_prefixes = false});
  GenerationStats stats;
  const auto limited = generate(m, groups(3), ragged_sampling(), {.max_sequences = 3}, &stats);
  check_same(plain, limited);
  CHECK(stats.peak_sequences == 3);
  // Requests joined as others finished: more prefill passes than the one of a single batch.
  CHECK(stats.admissions > 4);
  CHECK(stats.preemptions == 0);
}

TEST_CASE("on_step reports every prefill pass and decode step, in order, without changing the samples") {
  const Transformer m(tiny_config(Family::kQwen2), 22);
  const auto plain = generate(m, groups(3), ragged_sampling());
  std::vector<GenerationStats> seen;
  GenerationStats stats;
  const GenerationOptions options{.max_sequences = 3,
                                  .on_step = [&seen](const GenerationStats& s) { seen.push_back(s); }};
  const auto observed = generate(m, groups(3), ragged_sampling(), options, &stats);
  check_same(plain, observed);
  REQUIRE(seen.size() == static_cast<size_t>(stats.admissions + stats.decode_steps));
  // Each call follows exactly one more prefill pass or one more decode step than the call before it.
  int64_t admissions = 0, steps = 0;
  for (const GenerationStats& s : seen) {
    CHECK(s.admissions + s.decode_steps == admissions + steps + 1);
    CHECK(s.admissions >= admissions);
    CHECK(s.decode_steps >= steps);
    admissions = s.admissions;
    steps = s.decode_steps;
  }
  CHECK(seen.front().admissions == 1);
  CHECK(seen.front().decode_steps == 0);
  CHECK(seen.back().prefill_tokens == stats.prefill_tokens);
}

TEST_CASE("a KV budget pre-empts and recomputes rows without changing their samples") {
  const Transformer m(tiny_config(Family::kLlama), 23);
  SamplingParams params = ragged_sampling();
  params.stop_token_ids.clear();  // every row grows to max_new_tokens: the budget must bite
  const auto plain = generate(m, groups(2), params, {.share_prefixes = false});
  const GenerationOptions tight{.kv_budget_tokens = 160, .kv_block_tokens = 8};
  GenerationStats stats;
  const auto budgeted = generate(m, groups(2), params, tight, &stats);
  check_same(plain, budgeted);
  CHECK(stats.preemptions > 0);
  CHECK(stats.peak_kv_tokens <= tight.kv_budget_tokens);
  CHECK(stats.admissions > 1);  // pre-empted rows came back and were recomputed

  // A budget smaller than one sequence still finishes every request, one row at a time.
  GenerationStats lone;
  const auto one_by_one = generate(m, groups(2), params, {.kv_budget_tokens = 1}, &lone);
  check_same(plain, one_by_one);
  CHECK(lone.peak_sequences == 1);
}

TEST_CASE("greedy decoding is the same under every schedule") {
  const Transformer m(tiny_config(Family::kQwen3, true), 24);
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 16;
  const auto plain = generate(m, groups(2), greedy, {.share_prefixes = false});
  check_same(plain, generate(m, groups(2), greedy, {.max_sequences = 2, .kv_budget_tokens = 96, .kv_block_tokens = 4}));
  check_same(plain, generate(m, groups(2), greedy, {.use_cache = false}));
}

TEST_CASE("bad scheduler options are rejected") {
  const Transformer m(tiny_config(Family::kQwen2), 25);
  const SamplingParams params;
  CHECK_THROWS_AS(generate(m, groups(1), params, {.max_sequences = -1}), spct::InputError);
  CHECK_THROWS_AS(generate(m, groups(1), params, {.kv_budget_tokens = -5}), spct::InputError);
  CHECK_THROWS_AS(generate(m, groups(1), params, {.kv_block_tokens = 0}), spct::InputError);
}

TEST_CASE("Gemma 2's sliding layers see the same window under every schedule") {
  // Rows merged into a running batch get invalid slots on their left only, so slot distance stays token
  // distance, which the sliding-window mask relies on (transformer.cpp).
  const Transformer m(tiny_config(Family::kGemma2), 26);
  const auto plain = generate(m, groups(3), ragged_sampling(), {.share_prefixes = false});
  GenerationStats stats;
  check_same(plain, generate(m, groups(3), ragged_sampling(),
                             {.max_sequences = 4, .kv_budget_tokens = 120, .kv_block_tokens = 4}, &stats));
  CHECK(stats.admissions > 1);
}
