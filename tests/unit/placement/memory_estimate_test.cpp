// The per-rank memory estimate of `spct train --dry-run`: parameter counts against a published model, and how
// weights, optimizer state, KV cache and activations follow the config.
#include "orchestrator/train/memory_estimate.h"

#include <catch2/catch.hpp>

using namespace spct;
using spct::models::DType;
using spct::models::ModelConfig;

namespace {

// Qwen/Qwen2.5-0.5B's config.json.
ModelConfig qwen_05b() {
  ModelConfig m;
  m.family = models::Family::kQwen2;
  m.vocab_size = 151936;
  m.hidden_size = 896;
  m.num_layers = 24;
  m.num_heads = 14;
  m.num_kv_heads = 2;
  m.head_dim = 64;
  m.intermediate_size = 4864;
  m.qkv_bias = true;
  m.tie_embeddings = true;
  m.dtype = DType::kBFloat16;
  return m;
}

config::Config job(int64_t learners) {
  config::Config c;
  c.layout.rollout_workers = 2;
  c.layout.reward_workers = 1;
  c.layout.learners = learners;
  c.rollout.prompts_per_step = 8;
  c.rollout.group_size = 8;
  c.rollout.max_new_tokens = 64;
  c.data.max_prompt_tokens = 64;
  return c;
}

}  // namespace

TEST_CASE("parameter counts match the published model sizes", "[memory]") {
  // Qwen2.5-0.5B: 494,032,768 parameters (Hugging Face's model card says 0.49B).
  CHECK(train::parameter_count(qwen_05b()) == 494032768);
  ModelConfig untied = qwen_05b();
  untied.tie_embeddings = false;
  CHECK(train::parameter_count(untied) == 494032768 + 151936 * 896);
}

TEST_CASE("each role's estimate holds the models and buffers of that role", "[memory]") {
  const config::Config c = job(2);
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0", "1", "2", "3"});
  const ModelConfig m = qwen_05b();
  const int64_t params = train::parameter_count(m);
  const auto rank = [&](int r) { return train::estimate_memory(c, layout.at(r), m, nullptr, nullptr); };

  const train::MemoryEstimate orchestrator = rank(0);
  CHECK(orchestrator.total() == 0);

  const train::MemoryEstimate rollout = rank(1);
  // The model, and the weight receiver's current and staging copies.
  CHECK(rollout.weights == 3 * params * 2);
  CHECK(rollout.optimizer_state == 0);
  // 64 completions over 2 rollout workers, 128 tokens each: K and V of 24 layers x 2 heads x 64 dims, bf16.
  CHECK(rollout.kv_cache == int64_t{2} * 24 * 2 * 64 * 32 * 128 * 2);

  // With LoRA only the adapters are synced: the receiver's copies are negligible.
  config::Config lora = c;
  lora.model.lora.rank = 8;
  CHECK(train::estimate_memory(lora, layout.at(1), m, nullptr, nullptr).weights == params * 2);

  const train::MemoryEstimate learner = rank(4);
  CHECK(learner.weights == 2 * params * 2);  // policy and reference
  // bf16 gradients, float32 master weights and two float32 moments.
  CHECK(learner.optimizer_state == params * 2 + params * 4 * 3);
  CHECK(learner.kv_cache == 0);
  CHECK(learner.activations > 0);

  // Reward workers without a GRM hold nothing; with one they hold its weights and critique KV cache.
  CHECK(rank(3).total() == 0);
  const train::MemoryEstimate reward = train::estimate_memory(c, layout.at(3), m, &m, nullptr);
  CHECK(reward.weights == params * 2);
  CHECK(reward.kv_cache > 0);

  // More learners share a step's completions: smaller activations, same weights.
  const config::Config wide = job(4);
  const comm::RankLayout wide_layout = comm::RankLayout::plan_single_node(wide.layout, 0, 8, {"0"});
  const train::MemoryEstimate smaller = train::estimate_memory(wide, wide_layout.at(4), m, nullptr, nullptr);
  CHECK(smaller.activations < learner.activations);
  CHECK(smaller.weights == learner.weights);

  // float32 parameters need no master copy.
  ModelConfig fp32 = m;
  fp32.dtype = DType::kFloat32;
  CHECK(train::estimate_memory(c, layout.at(4), fp32, nullptr, nullptr).optimizer_state == params * 4 * 3);
}

TEST_CASE("CPU ranks that generate also hold generation's packed weights", "[memory]") {
  const config::Config c = job(2);
  const comm::RankLayout gpus = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0", "1", "2", "3"});
  const comm::RankLayout cpus = comm::RankLayout::plan_single_node(c.layout, 0, 8, {});
  const ModelConfig m = qwen_05b();
  // Every weight of at least 256 x 256 elements: the tied head, and per layer q, k, v (128 x 896 each), o and the
  // three MLP projections; not the norms and biases.
  const int64_t packed =
      (int64_t{151936} * 896 + 24 * (int64_t{2} * 896 * 896 + int64_t{2} * 128 * 896 + int64_t{3} * 4864 * 896)) * 2;
  const auto weights = [&](const comm::RankLayout& layout, int r, const ModelConfig* grm) {
    return train::estimate_memory(c, layout.at(r), m, grm, nullptr).weights;
  };
  CHECK(weights(cpus, 1, nullptr) == weights(gpus, 1, nullptr) + packed);  // rollout worker
  CHECK(weights(cpus, 3, &m) == weights(gpus, 3, &m) + packed);            // reward worker's GRM
  CHECK(weights(cpus, 4, nullptr) == weights(gpus, 4, nullptr));           // learners do not generate
  config::Config unpacked = c;
  unpacked.rollout.pack_weights = false;
  CHECK(train::estimate_memory(unpacked, cpus.at(1), m, nullptr, nullptr).weights == weights(gpus, 1, nullptr));
  ModelConfig fp16 = m;
  fp16.dtype = DType::kFloat16;  // not packed
  CHECK(train::estimate_memory(c, cpus.at(1), fp16, nullptr, nullptr).weights ==
        train::estimate_memory(c, gpus.at(1), fp16, nullptr, nullptr).weights);
}

TEST_CASE("ZeRO sharding divides the optimizer state among learners", "[memory]") {
  const ModelConfig m = qwen_05b();
  const int64_t params = train::parameter_count(m);
  for (int64_t learners : {2, 4}) {
    config::Config c = job(learners);
    c.grpo.micro_batch_tokens = 512;  // several passes: the passes before the last hold full gradients
    const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0"});
    const int learner_rank = 4;  // orchestrator, 2 rollout workers, 1 reward worker, then the learners
    const train::MemoryEstimate plain = train::estimate_memory(c, layout.at(learner_rank), m, nullptr, nullptr);
    const int64_t shard = (params + learners - 1) / learners;
    for (int64_t stage : {1, 2}) {
      INFO(learners << " learners, stage " << stage);
      c.distributed.zero_stage = stage;
      const train::MemoryEstimate sharded = train::estimate_memory(c, layout.at(learner_rank), m, nullptr, nullptr);
      // float32 accumulation buffers in full; float32 master, two moments and averaged gradient of a 1/learners
      // slice.
      CHECK(sharded.optimizer_state == params * 4 + shard * 4 * 4);
      CHECK(sharded.optimizer_state < plain.optimizer_state);
      CHECK(sharded.weights == plain.weights);
      // float32: no masters, the parameters are their own.
      ModelConfig fp32 = m;
      fp32.dtype = DType::kFloat32;
      CHECK(train::estimate_memory(c, layout.at(learner_rank), fp32, nullptr, nullptr).optimizer_state ==
            params * 4 + shard * 4 * 3);
    }
  }
  // One learner has nobody to share with.
  config::Config single = job(1);
  single.distributed.zero_stage = 2;
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(single.layout, 0, 8, {"0"});
  CHECK(train::estimate_memory(single, layout.at(4), m, nullptr, nullptr).optimizer_state ==
        params * 2 + params * 4 * 3);
}

TEST_CASE("ZeRO stage 2 with one pass per update counts the largest gradient and the buckets, not all of them",
          "[memory]") {
  config::Config c = job(4);
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0"});
  const auto gradients = [&](const ModelConfig& m, int64_t stage) {
    c.distributed.zero_stage = stage;
    // Less the sharded state: float32 moments, averaged gradient and, for a 16-bit model, master.
    const int64_t shard = (train::parameter_count(m) + 3) / 4;
    const int64_t state = shard * 4 * (m.dtype == DType::kFloat32 ? 3 : 4);
    return train::estimate_memory(c, layout.at(4), m, nullptr, nullptr).optimizer_state - state;
  };
  // Deep enough that the embedding is a small part of the model: the embedding's bf16 gradient and its float32
  // bucket, and three 25 MB buckets.
  const int64_t buckets = 3 * int64_t{25} * 1024 * 1024;  // distributed.bucket_mb's default
  ModelConfig deep = qwen_05b();
  deep.num_layers = 240;
  const int64_t embedding = deep.vocab_size * deep.hidden_size;
  CHECK(gradients(deep, 1) == train::parameter_count(deep) * 2);
  CHECK(gradients(deep, 2) == embedding * (2 + 4) + buckets);
  // Qwen2.5-0.5B's tied embedding is over a quarter of its parameters: its gradient and float32 bucket are
  // almost all the bf16 gradients weigh.
  const ModelConfig small = qwen_05b();
  CHECK(gradients(small, 2) == small.vocab_size * small.hidden_size * (2 + 4) + buckets);
  CHECK(gradients(small, 2) > train::parameter_count(small) * 2 * 0.9);
  // A float32 model whose embedding is most of it: never more than the full gradients.
  ModelConfig wide = qwen_05b();
  wide.dtype = DType::kFloat32;
  wide.num_layers = 2;
  CHECK(gradients(wide, 2) == train::parameter_count(wide) * 4);
}

TEST_CASE("the rollout KV cache follows rollout.max_sequences and rollout.kv_budget_tokens", "[memory]") {
  config::Config c = job(2);
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0", "1", "2", "3"});
  const ModelConfig m = qwen_05b();
  const auto kv = [&] { return train::estimate_memory(c, layout.at(1), m, nullptr, nullptr).kv_cache; };
  const int64_t per_token = int64_t{2} * 24 * 2 * 64 * 2;  // K and V, 24 layers x 2 heads x 64 dims, bf16
  const int64_t unlimited = kv();
  CHECK(unlimited == per_token * 32 * 128);  // 32 completions of 128 tokens on this worker

  c.rollout.max_sequences = 8;  // 8 rows decode together
  CHECK(kv() == per_token * 8 * 128);
  c.rollout.kv_budget_tokens = 512;  // the budget binds before the row limit
  CHECK(kv() == per_token * 512);
  c.rollout.max_sequences = 0;
  c.rollout.kv_budget_tokens = int64_t{100} * 1000;  // a budget above the whole batch changes nothing
  CHECK(kv() == unlimited);
  c.rollout.kv_budget_tokens = 16;  // below one sequence: one row still runs
  CHECK(kv() == per_token * 128);
}

TEST_CASE("a colocated rank holds every role", "[memory]") {
  config::Config c = job(1);
  c.layout.colocate = true;
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0"});
  const ModelConfig m = qwen_05b();
  const train::MemoryEstimate all = train::estimate_memory(c, layout.at(0), m, &m, nullptr);
  const int64_t params = train::parameter_count(m);
  CHECK(all.weights == 3 * params * 2);  // policy, reference, GRM
  CHECK(all.optimizer_state > 0);
  CHECK(all.kv_cache > 0);
  const std::string table = train::memory_table(layout, {all});
  CHECK_THAT(table, Catch::Matchers::Contains("colocated") && Catch::Matchers::Contains("GPU 0 on node 0"));
}

TEST_CASE("a colocated rank's phases: turn-taking takes the optimizer state out of the generating peak", "[memory]") {
  config::Config c = job(1);
  c.layout.colocate = true;
  c.rollout.max_new_tokens = 1024;  // a KV cache that matters
  const ModelConfig m = qwen_05b();
  const comm::RankLayout gpu = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0"});
  const train::MemoryEstimate e = train::estimate_memory(c, gpu.at(0), m, nullptr, nullptr);
  REQUIRE(e.optimizer_state > 0);
  REQUIRE(e.kv_cache > 0);
  CHECK(e.activations == std::max(e.decode_activations, e.learner_activations));
  const train::PhasePeaks with = train::phase_peaks(e, true);
  const train::PhasePeaks without = train::phase_peaks(e, false);
  CHECK(with.generating == e.weights + e.kv_cache + e.decode_activations);
  CHECK(without.generating == with.generating + e.optimizer_state);
  CHECK(with.learning == without.learning);  // the KV cache is gone while learning either way
  CHECK(with.learning == e.weights + e.optimizer_state + e.learner_activations);
  CHECK(with.peak() <= without.peak());
  CHECK(without.peak() <= e.total());  // the phases never hold everything at once

  // auto takes turns on a GPU, not on the CPU; the table marks the line this run gets.
  const std::string on_gpu = train::phase_table(c, gpu, {e});
  CHECK_THAT(on_gpu, Catch::Matchers::Contains("layout.take_turns auto: turns taken on gpu 0"));
  CHECK(on_gpu.find("<- this run") < on_gpu.find("without"));
  const comm::RankLayout cpu = comm::RankLayout::plan_single_node(c.layout, 0, 8, {});
  const std::string on_cpu = train::phase_table(c, cpu, {e});
  CHECK_THAT(on_cpu, Catch::Matchers::Contains("all resident on the cpu"));
  CHECK(on_cpu.find("<- this run") > on_cpu.find("without"));
  c.layout.take_turns = config::TurnTaking::kOn;
  CHECK_THAT(train::phase_table(c, cpu, {e}), Catch::Matchers::Contains("turns taken on the cpu"));
  // Not colocated: no phases to show.
  const config::Config mpi = job(1);
  CHECK(train::phase_table(mpi, comm::RankLayout::plan_single_node(mpi.layout, 0, 8, {"0"}), {}).empty());
}

TEST_CASE("learner activations follow grpo.micro_batch_tokens, and accumulated bf16 gradients are float32",
          "[memory]") {
  config::Config c = job(2);
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0", "1", "2", "3"});
  const ModelConfig m = qwen_05b();
  const int64_t params = train::parameter_count(m);
  const auto learner = [&] { return train::estimate_memory(c, layout.at(4), m, nullptr, nullptr); };
  const train::MemoryEstimate whole = learner();  // 32 completions of 128 tokens in one pass
  c.grpo.micro_batch_tokens = int64_t{8} * 128;   // a quarter of that per pass
  const train::MemoryEstimate budget = learner();
  CHECK(budget.activations < whole.activations);
  c.grpo.micro_batch_size = 8;  // the same 8 rows of 128 tokens: the same pass size
  CHECK(learner().activations == budget.activations);
  c.grpo.micro_batch_size = 0;
  c.grpo.micro_batch_tokens = 16;  // below one sequence: one sequence per pass
  const train::MemoryEstimate one = learner();
  CHECK(one.activations < budget.activations);
  c.grpo.micro_batch_tokens = 128;
  CHECK(learner().activations == one.activations);
  c.grpo.micro_batch_tokens = int64_t{1} << 40;  // a budget above the whole minibatch changes nothing
  CHECK(learner().activations == whole.activations);
  // Packing (grpo.packing) fills a pass's rows with more sequences but never with more cells: rows as wide as the
  // longest sequence, within the same budget or sequence count, so the worst-case bound is the same.
  for (const int64_t tokens : {int64_t{0}, int64_t{8} * 128, int64_t{16}}) {
    CAPTURE(tokens);
    c.grpo.micro_batch_tokens = tokens;
    c.grpo.packing = false;
    const int64_t padded = learner().activations;
    c.grpo.packing = true;
    CHECK(learner().activations == padded);
  }
  c.grpo.packing = false;
  // Accumulating bf16 gradients: float32 gradient buffers instead of bf16 ones.
  CHECK(whole.optimizer_state == params * 2 + params * 4 * 3);
  CHECK(budget.optimizer_state == params * 4 + params * 4 * 3);
}

TEST_CASE("learner logits follow model.logprob_chunk_tokens, layers follow activation checkpointing", "[memory]") {
  config::Config c = job(2);
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, 0, 8, {"0", "1", "2", "3"});
  const ModelConfig m = qwen_05b();
  const auto learner = [&] { return train::estimate_memory(c, layout.at(4), m, nullptr, nullptr); };
  // 32 completions of 64 tokens per pass: 2048 completion tokens, the head's float32 logits, softmax and
  // gradient of 1024 of them (the default chunk) at once, then of 256.
  const int64_t whole = learner().activations;
  c.model.logprob_chunk_tokens = 256;
  CHECK(whole - learner().activations == int64_t{3} * (1024 - 256) * m.vocab_size * 4);
  c.model.logprob_chunk_tokens = 4096;  // above the pass's completion tokens: all 2048 at once
  CHECK(learner().activations - whole == int64_t{3} * (2048 - 1024) * m.vocab_size * 4);
  c.model.logprob_chunk_tokens = 1024;
  c.model.activation_checkpointing = true;
  const int64_t checkpointed = learner().activations;
  CHECK(checkpointed < whole / 2);
  CHECK(checkpointed > int64_t{3} * 1024 * m.vocab_size * 4);
}
