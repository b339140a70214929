// The rollout worker under the engine settings of the rollout section (share_prefixes, max_sequences,
// kv_budget_tokens, kv_block_tokens): they change how a step is scheduled, never what it samples.
#include "workers/rollout/rollout_worker.h"

#include <ATen/Parallel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/config/config.h"
#include "models/tokenizer/char_tokenizer.h"

using namespace spct;

namespace {

struct OneThread {
  OneThread() { at::set_num_threads(1); }
};
const OneThread one_thread;

models::ModelConfig tiny_policy() {
  models::ModelConfig c;
  c.family = models::Family::kQwen2;
  c.vocab_size = tokenizer::CharTokenizer::kVocabSize;
  c.hidden_size = 32;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 8;
  c.intermediate_size = 48;
  c.max_position = 256;
  c.tie_embeddings = true;
  c.qkv_bias = true;
  return c;
}

config::Config sampling_config() {
  config::Config c;
  c.run.seed = 41;
  c.rollout.group_size = 4;
  c.rollout.temperature = 1.2;
  c.rollout.max_new_tokens = 20;
  return c;
}

protocol::PromptBatch step_batch(const tokenizer::Tokenizer& tok) {
  protocol::PromptBatch batch;
  batch.step = 3;
  uint64_t id = 10;
  for (const char* prompt : {"1+1=", "What is 12*7? Answer:", "x", "Sort 3 1 2 ->"}) {
    batch.items.push_back({id++, tok.encode(prompt), "", 4});
  }
  return batch;
}

// Same groups, same tokens and finish reasons, log-probs equal up to fp32 rounding of differently shaped batches.
void check_same(const std::vector<protocol::GeneratedGroup>& a, const std::vector<protocol::GeneratedGroup>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t g = 0; g < a.size(); ++g) {
    CHECK(a[g].prompt_id == b[g].prompt_id);
    REQUIRE(a[g].completions.size() == b[g].completions.size());
    for (size_t c = 0; c < a[g].completions.size(); ++c) {
      INFO("group " << g << " completion " << c);
      const protocol::Completion& x = a[g].completions[c];
      const protocol::Completion& y = b[g].completions[c];
      REQUIRE(x.tokens == y.tokens);
      CHECK(x.finish_reason == y.finish_reason);
      REQUIRE(x.logprobs.size() == y.logprobs.size());
      for (size_t t = 0; t < x.logprobs.size(); ++t) CHECK(std::abs(x.logprobs[t] - y.logprobs[t]) <= 1e-5);
    }
  }
}

}  // namespace

TEST_CASE("a rollout worker samples the same groups with or without prefix sharing and under any schedule") {
  const tokenizer::CharTokenizer tok;
  const models::Transformer policy(tiny_policy(), 5);
  const protocol::PromptBatch batch = step_batch(tok);

  config::Config shared = sampling_config();
  const auto reference =
      rollout::RolloutWorker(rollout::rollout_worker_options(shared), tok, policy).generate(batch, 1);
  REQUIRE(reference.size() == 4);
  // The group's samples differ from each other: each has its own seed, forking the prompt's cache kept them.
  CHECK(reference[1].completions[0].tokens != reference[1].completions[1].tokens);

  config::Config unshared = sampling_config();
  unshared.rollout.share_prefixes = false;
  check_same(reference,
             rollout::RolloutWorker(rollout::rollout_worker_options(unshared), tok, policy).generate(batch, 1));

  config::Config few_rows = sampling_config();
  few_rows.rollout.max_sequences = 3;
  check_same(reference,
             rollout::RolloutWorker(rollout::rollout_worker_options(few_rows), tok, policy).generate(batch, 1));

  // A budget far below the 16 x 41 slots of the whole step: rows are pre-empted and recomputed.
  config::Config budget = sampling_config();
  budget.rollout.kv_budget_tokens = 96;
  budget.rollout.kv_block_tokens = 4;
  check_same(reference,
             rollout::RolloutWorker(rollout::rollout_worker_options(budget), tok, policy).generate(batch, 1));

  // The same prompts split over two workers (the work queue's chunks) still sample the same groups.
  protocol::PromptBatch first = batch;
  protocol::PromptBatch second = batch;
  first.items.resize(2);
  second.items.erase(second.items.begin(), second.items.begin() + 2);
  auto split = rollout::RolloutWorker(rollout::rollout_worker_options(budget), tok, policy).generate(first, 1);
  for (auto& group : rollout::RolloutWorker(rollout::rollout_worker_options(few_rows), tok, policy).generate(second, 1))
    split.push_back(group);
  check_same(reference, split);

  // Another run seed samples something else: the comparisons above could fail.
  config::Config reseeded = sampling_config();
  reseeded.run.seed = 42;
  const auto other = rollout::RolloutWorker(rollout::rollout_worker_options(reseeded), tok, policy).generate(batch, 1);
  CHECK(other[0].completions[0].tokens != reference[0].completions[0].tokens);
}
