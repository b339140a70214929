// The split of a minibatch into forward/backward passes (learner/micro_batches.h): every completion in exactly one
// pass, the token budget respected, length-sorted packing, and the fixed-count split of grpo.micro_batch_size kept
// when no budget is set.
#include "learner/micro_batches.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/error.h"

using spct::learner::MicroBatch;
using spct::learner::plan_micro_batches;

namespace {

// Pseudo-random lengths in [1, span] (a fixed LCG, so the test is reproducible).
std::vector<int64_t> lengths(std::size_t n, int64_t span, uint64_t seed) {
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(1 + static_cast<int64_t>((seed >> 33) % static_cast<uint64_t>(span)));
  }
  return out;
}

// Checks what holds for every plan and returns the plan's rows in pass order.
std::vector<int64_t> check_plan(const std::vector<MicroBatch>& plan, const std::vector<int64_t>& prompts,
                                const std::vector<int64_t>& completions) {
  std::vector<int64_t> seen;
  for (const MicroBatch& pass : plan) {
    REQUIRE_FALSE(pass.rows.empty());
    int64_t p = 0, c = 0, real = 0;
    for (const int64_t r : pass.rows) {
      p = std::max(p, prompts[static_cast<std::size_t>(r)]);
      c = std::max(c, completions[static_cast<std::size_t>(r)]);
      real += prompts[static_cast<std::size_t>(r)] + completions[static_cast<std::size_t>(r)];
      seen.push_back(r);
    }
    CHECK(pass.padded_tokens == static_cast<int64_t>(pass.rows.size()) * (p + c));
    CHECK(pass.real_tokens == real);
  }
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) REQUIRE(sorted[i] == static_cast<int64_t>(i));
  REQUIRE(sorted.size() == prompts.size());
  return seen;
}

}  // namespace

TEST_CASE("no limit: one pass over every completion in batch order") {
  const std::vector<int64_t> prompts{3, 3, 5}, completions{1, 4, 2};
  const auto plan = plan_micro_batches(prompts, completions, {});
  REQUIRE(plan.size() == 1);
  CHECK(check_plan(plan, prompts, completions) == std::vector<int64_t>{0, 1, 2});
  CHECK(plan[0].padded_tokens == int64_t{3} * (5 + 4));
  CHECK(plan_micro_batches({}, {}, {.max_tokens = 10}).empty());
}

TEST_CASE("a row limit alone keeps consecutive runs in batch order") {
  const auto prompts = lengths(10, 8, 1);
  const auto completions = lengths(10, 20, 2);
  const auto plan = plan_micro_batches(prompts, completions, {.max_rows = 4});
  REQUIRE(plan.size() == 3);
  std::vector<int64_t> in_order(10);
  for (int64_t i = 0; i < 10; ++i) in_order[static_cast<std::size_t>(i)] = i;
  CHECK(check_plan(plan, prompts, completions) == in_order);
  CHECK(plan[0].rows.size() == 4);
  CHECK(plan[2].rows.size() == 2);
}

TEST_CASE("a token budget packs length-sorted completions and respects the budget") {
  for (const int64_t budget : {16, 64, 100, 333, 1000}) {
    CAPTURE(budget);
    const auto prompts = lengths(37, 12, 7);
    const auto completions = lengths(37, 40, 8);
    const auto plan = plan_micro_batches(prompts, completions, {.max_tokens = budget});
    const std::vector<int64_t> order = check_plan(plan, prompts, completions);
    // Longest first.
    for (std::size_t i = 1; i < order.size(); ++i) {
      const auto at = [&](std::size_t k) {
        return prompts[static_cast<std::size_t>(order[k])] + completions[static_cast<std::size_t>(order[k])];
      };
      CHECK(at(i - 1) >= at(i));
    }
    for (std::size_t k = 0; k < plan.size(); ++k) {
      const MicroBatch& pass = plan[k];
      // Over the budget only as a single sequence that alone exceeds it.
      if (pass.padded_tokens > budget) CHECK(pass.rows.size() == 1);
      // Greedy: the next pass's first completion did not fit into this one.
      if (k + 1 < plan.size()) {
        const int64_t next = plan[k + 1].rows.front();
        int64_t p = prompts[static_cast<std::size_t>(next)], c = completions[static_cast<std::size_t>(next)];
        for (const int64_t r : pass.rows) {
          p = std::max(p, prompts[static_cast<std::size_t>(r)]);
          c = std::max(c, completions[static_cast<std::size_t>(r)]);
        }
        CHECK(static_cast<int64_t>(pass.rows.size() + 1) * (p + c) > budget);
      }
    }
  }
}

TEST_CASE("sorting saves padding on mixed lengths") {
  // Alternating short and long completions: fixed passes of 4 pad every short one to the long length.
  std::vector<int64_t> prompts(16, 8), completions;
  for (int i = 0; i < 16; ++i) completions.push_back(i % 2 == 0 ? 4 : 120);
  const auto fixed = spct::learner::padding_totals(plan_micro_batches(prompts, completions, {.max_rows = 4}));
  const auto packed =
      spct::learner::padding_totals(plan_micro_batches(prompts, completions, {.max_tokens = int64_t{4} * (8 + 120)}));
  CHECK(fixed.real_tokens == packed.real_tokens);
  CHECK(fixed.padded_tokens == int64_t{16} * 128);
  CHECK(packed.padded_tokens == int64_t{8} * 128 + int64_t{8} * 12);
}

TEST_CASE("both limits hold together") {
  const std::vector<int64_t> prompts(9, 2), completions(9, 2);
  const auto plan = plan_micro_batches(prompts, completions, {.max_rows = 2, .max_tokens = 100});
  REQUIRE(plan.size() == 5);
  for (const MicroBatch& pass : plan) CHECK(pass.rows.size() <= 2);
}

TEST_CASE("mismatched lengths or negative limits are refused") {
  CHECK_THROWS_AS(plan_micro_batches({1, 2}, {1}, {}), spct::Error);
  CHECK_THROWS_AS(plan_micro_batches({1}, {1}, {.max_tokens = -1}), spct::Error);
}

TEST_CASE("packing: sequences share rows as wide as the pass's longest, within the budget") {
  // Sequences (prompt + completion) of 8, 5, 3, 3 and 2 tokens.
  const std::vector<int64_t> prompts{2, 3, 1, 2, 1}, completions{1, 5, 2, 1, 1};
  SECTION("no budget: one pass, first fit into rows of 8") {
    const auto plan = plan_micro_batches(prompts, completions, {.pack = true});
    REQUIRE(plan.size() == 1);
    // Longest first: 1 (8) fills row 0; 0 (3) opens row 1, 2 (3) joins it; 3 (3) would make it 9, so it opens
    // row 2; 4 (2) still fits row 1 (3 + 3 + 2 = 8).
    CHECK(plan[0].rows == std::vector<int64_t>{1, 0, 2, 4, 3});
    CHECK(plan[0].packing == std::vector<std::vector<int64_t>>{{0}, {1, 2, 3}, {4}});
    CHECK(plan[0].padded_tokens == int64_t{3} * 8);
    CHECK(plan[0].real_tokens == 8 + 3 + 3 + 3 + 2);
  }
  SECTION("a budget of 16 cells: two rows of 8, then a row of 3") {
    const auto plan = plan_micro_batches(prompts, completions, {.max_tokens = 16, .pack = true});
    REQUIRE(plan.size() == 2);
    // 3 (3) fits no row of the first pass (3 + 3 + 3 = 9) and a third row would make it 24 cells: it opens a
    // pass of width 3. 4 (2) then fills the first pass's second row (3 + 3 + 2 = 8) at no cost.
    CHECK(plan[0].packing == std::vector<std::vector<int64_t>>{{0}, {1, 2, 3}});
    CHECK(plan[0].rows == std::vector<int64_t>{1, 0, 2, 4});
    CHECK(plan[0].padded_tokens == 16);
    CHECK(plan[1].rows == std::vector<int64_t>{3});
    CHECK(plan[1].packing == std::vector<std::vector<int64_t>>{{0}});
    CHECK(plan[1].padded_tokens == 3);
  }
  SECTION("max_rows counts sequences") {
    const auto plan = plan_micro_batches(prompts, completions, {.max_rows = 2, .pack = true});
    REQUIRE(plan.size() == 3);
    for (const MicroBatch& pass : plan) CHECK(pass.rows.size() <= 2);
  }
}

TEST_CASE("packing: a short sequence fills a gap in an earlier pass (first fit over every pass)") {
  // Sequences of 8, 6, 5 and 2 tokens, a budget of 16 cells. Pass 0 takes rows {8} and {6}; 5 fits no row of it
  // and a third row of 8 would exceed 16, so it opens pass 1 of width 5. 2 then goes into the gap of pass 0's
  // second row (6 + 2 = 8), not into a new row of pass 1 (a pass closed when 5 did not fit would have cost 5
  // more padded tokens).
  const std::vector<int64_t> prompts{1, 2, 3, 1}, completions{7, 3, 3, 1};
  const auto plan = plan_micro_batches(prompts, completions, {.max_tokens = 16, .pack = true});
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].rows == std::vector<int64_t>{0, 2, 3});
  CHECK(plan[0].packing == std::vector<std::vector<int64_t>>{{0}, {1, 2}});
  CHECK(plan[0].padded_tokens == 16);
  CHECK(plan[1].rows == std::vector<int64_t>{1});
  CHECK(plan[1].padded_tokens == 5);
  const auto totals = spct::learner::padding_totals(plan);
  CHECK(totals.padded_tokens == 21);
  CHECK(totals.real_tokens == 8 + 6 + 5 + 2);

  SECTION("a gap is only taken by a pass that may still take a sequence (max_rows)") {
    const auto capped = plan_micro_batches(prompts, completions, {.max_rows = 2, .max_tokens = 16, .pack = true});
    REQUIRE(capped.size() == 2);
    CHECK(capped[0].rows == std::vector<int64_t>{0, 2});
    CHECK(capped[1].rows == std::vector<int64_t>{1, 3});
    CHECK(capped[1].packing == std::vector<std::vector<int64_t>>{{0}, {1}});
  }
}

TEST_CASE("packing: every sequence once, rows never overfull, the budget held by passes of two or more rows") {
  for (const int64_t budget : {0, 1, 24, 64, 300}) {
    CAPTURE(budget);
    const auto prompts = lengths(97, 12, 5), completions = lengths(97, 30, 9);
    const auto plan = plan_micro_batches(prompts, completions, {.max_tokens = budget, .pack = true});
    std::vector<int64_t> seen;
    for (const MicroBatch& pass : plan) {
      REQUIRE_FALSE(pass.packing.empty());
      int64_t width = 0, real = 0;
      std::vector<int64_t> used;
      std::size_t next = 0;
      for (const auto& row : pass.packing) {
        int64_t tokens = 0;
        for (const int64_t at : row) {
          // Positions in `rows`, listed in order.
          REQUIRE(at == static_cast<int64_t>(next++));
          const auto r = static_cast<std::size_t>(pass.rows[static_cast<std::size_t>(at)]);
          tokens += prompts[r] + completions[r];
          seen.push_back(pass.rows[static_cast<std::size_t>(at)]);
        }
        used.push_back(tokens);
        width = std::max(width, tokens);
        real += tokens;
      }
      REQUIRE(next == pass.rows.size());
      // The pass's first sequence is its longest and sets the width: no row holds more tokens.
      const auto first = static_cast<std::size_t>(pass.rows.front());
      CHECK(width == prompts[first] + completions[first]);
      CHECK(pass.padded_tokens == static_cast<int64_t>(pass.packing.size()) * width);
      CHECK(pass.real_tokens == real);
      if (budget > 0 && pass.packing.size() > 1) CHECK(pass.padded_tokens <= budget);
    }
    std::sort(seen.begin(), seen.end());
    REQUIRE(seen.size() == prompts.size());
    for (std::size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == static_cast<int64_t>(i));
  }
}

TEST_CASE("shared prompts: a prompt's completions form one unit of prompt + their tokens, packed longest first") {
  // Two groups (keys 7 and 3) of three completions, interleaved in the batch, and a lone sequence (key 9):
  // group 7: prompt 4, completions 2, 1, 3 -> unit of 10; group 3: prompt 2, completions 5, 1, 1 -> unit of 9;
  // key 9: prompt 1, completion 2 -> unit of 3.
  const std::vector<int64_t> prompts{4, 2, 4, 2, 4, 2, 1}, completions{2, 5, 1, 1, 3, 1, 2}, keys{7, 3, 7, 3, 7, 3, 9};
  SECTION("no limit: one pass, rows of 10, first fit") {
    const auto plan = plan_micro_batches(prompts, completions, {.share_prompts = true}, keys);
    REQUIRE(plan.size() == 1);
    // Group 7 fills row 0 (10); group 3 (9) opens row 1; the lone sequence (3) fits nowhere but a new row.
    CHECK(plan[0].rows == std::vector<int64_t>{0, 2, 4, 1, 3, 5, 6});
    CHECK(plan[0].packing == std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6}});
    CHECK(plan[0].padded_tokens == int64_t{3} * 10);
    // The tokens laid out: each prompt once.
    CHECK(plan[0].real_tokens == 10 + 9 + 3);
  }
  SECTION("max_rows splits a group into units of at most that many completions, each with its prompt") {
    const auto plan = plan_micro_batches(prompts, completions, {.max_rows = 2, .share_prompts = true}, keys);
    // Units: 7 -> {0, 2} (7), {4} (7); 3 -> {1, 3} (8), {5} (3); 9 -> {6} (3). Longest first, two sequences a
    // pass: {1, 3}; {0, 2}; {4} and {5} (in a second row: 7 + 3 > 7); {6}.
    std::vector<int64_t> order;
    for (const MicroBatch& pass : plan) {
      CHECK(pass.rows.size() <= 2);
      order.insert(order.end(), pass.rows.begin(), pass.rows.end());
    }
    CHECK(order == std::vector<int64_t>{1, 3, 0, 2, 4, 5, 6});
    REQUIRE(plan.size() == 4);
    CHECK(plan[2].packing == std::vector<std::vector<int64_t>>{{0}, {1}});
  }
  SECTION("max_tokens splits a unit that would exceed it and bounds the pass's cells") {
    const auto plan = plan_micro_batches(prompts, completions, {.max_tokens = 8, .share_prompts = true}, keys);
    // Units: 7 -> {0, 2} (4 + 2 + 1 = 7), {4} (7); 3 -> {1, 3} (2 + 5 + 1 = 8), {5} (3); 9 -> {6} (3). A second
    // row of 8 or 7 would exceed 8 cells, so those units run alone; {5} and {6} share a pass of two rows of 3.
    std::vector<int64_t> order;
    for (const MicroBatch& pass : plan) {
      order.insert(order.end(), pass.rows.begin(), pass.rows.end());
      CHECK(pass.padded_tokens <= 8);
    }
    CHECK(order == std::vector<int64_t>{1, 3, 0, 2, 4, 5, 6});
    REQUIRE(plan.size() == 4);
    CHECK(plan[0].real_tokens == 8);
    CHECK(plan[3].packing == std::vector<std::vector<int64_t>>{{0}, {1}});
    CHECK(plan[3].padded_tokens == 6);
  }
  CHECK_THROWS_AS(plan_micro_batches(prompts, completions, {.share_prompts = true}, {7, 3}), spct::Error);
}
