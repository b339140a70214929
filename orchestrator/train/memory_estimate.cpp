#include "orchestrator/train/memory_estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "models/onednn_min_weight.h"
#include "orchestrator/train/turn_taking.h"

namespace spct::train {
namespace {

bool holds_policy(comm::Role role) {
  return role == comm::Role::kRollout || role == comm::Role::kLearner || role == comm::Role::kColocated;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return b <= 0 ? a : (a + b - 1) / b;
}

// Keys and values of every layer for `sequences` sequences of `length` tokens.
int64_t kv_bytes(const models::ModelConfig& m, int64_t sequences, int64_t length) {
  return 2 * m.num_layers * m.num_kv_heads * m.head_dim * sequences * length * dtype_bytes(m.dtype);
}

// The float32 logits of one decode step over the vocabulary.
int64_t decode_logits_bytes(const models::ModelConfig& m, int64_t sequences) {
  return sequences * m.vocab_size * 4;
}

// Calls fn(rows, cols, count) for the weight matrices the model multiplies by (its Linear projections): per layer
// q, k, v, o and the MLP, or the MoE router and experts; then the head, which is the embedding when tied.
template <typename Fn>
void for_each_projection(const models::ModelConfig& m, Fn&& fn) {
  const int64_t h = m.hidden_size;
  const int64_t q = m.num_heads * m.head_dim;
  const int64_t kv = m.num_kv_heads * m.head_dim;
  for (int64_t layer = 0; layer < m.num_layers; ++layer) {
    fn(q, h, 1);
    fn(kv, h, 2);
    fn(h, q, 1);
    if (m.is_moe_layer(layer)) {
      fn(m.num_experts, h, 1);
      fn(m.moe_intermediate_size, h, 3 * m.num_experts);
    } else {
      fn(m.intermediate_size, h, 3);
    }
  }
  fn(m.vocab_size, h, 1);
}

// The elements of the model's largest single weight: the embedding (or head) for a real vocabulary, an MLP or
// attention projection for a small one (the character tokenizer's).
int64_t largest_parameter(const models::ModelConfig& m) {
  int64_t largest = 0;
  for_each_projection(m, [&](int64_t rows, int64_t cols, int64_t) { largest = std::max(largest, rows * cols); });
  return largest;
}

// Generation's packed copies of the large weights on a CPU rank (models/packed_weight.h: float32 and bfloat16
// weights of at least 256 x 256 elements, kOnednnMinWeightElements, the head included, tied or not).
int64_t packed_weight_bytes(const models::ModelConfig& m) {
  if (m.dtype != models::DType::kFloat32 && m.dtype != models::DType::kBFloat16) return 0;
  int64_t elements = 0;
  for_each_projection(m, [&](int64_t rows, int64_t cols, int64_t count) {
    if (rows * cols >= models::kOnednnMinWeightElements) elements += rows * cols * count;
  });
  return elements * dtype_bytes(m.dtype);
}

double gib(int64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
}

}  // namespace

int64_t dtype_bytes(models::DType dtype) {
  return dtype == models::DType::kFloat32 ? 4 : 2;
}

int64_t parameter_count(const models::ModelConfig& m) {
  const int64_t h = m.hidden_size;
  const int64_t q = m.num_heads * m.head_dim;
  const int64_t kv = m.num_kv_heads * m.head_dim;
  int64_t total = 0;
  for_each_projection(m, [&](int64_t rows, int64_t cols, int64_t count) { total += rows * cols * count; });
  if (!m.tie_embeddings) total += m.vocab_size * h;  // the embedding besides the head
  total += h;                                        // the final norm
  // Per layer: the two RMSNorms and the optional biases and q/k norms.
  int64_t vectors = 2 * h;
  if (m.qkv_bias) vectors += q + 2 * kv;
  if (m.o_bias) vectors += h;
  if (m.qk_norm) vectors += 2 * m.head_dim;
  return total + m.num_layers * vectors;
}

MemoryEstimate estimate_memory(const config::Config& config, const comm::RankPlacement& placement,
                               const models::ModelConfig& policy, const models::ModelConfig* grm,
                               const models::ModelConfig* meta_rm) {
  MemoryEstimate out;
  const comm::Role role = placement.role;
  const bool colocated = role == comm::Role::kColocated;
  const int64_t completions = config.rollout.prompts_per_step * config.rollout.group_size;
  const int64_t sequence = config.data.max_prompt_tokens + config.rollout.max_new_tokens;
  const int64_t policy_weights = parameter_count(policy) * dtype_bytes(policy.dtype);

  if (holds_policy(role)) out.weights += policy_weights;
  // A rollout rank's weight receiver (distributed/weight_sync.h) holds the current version and a staging copy
  // beside the model's own parameters once the first update has arrived: two more copies of what the learners
  // publish. With LoRA that is only the adapters, negligible here.
  if (role == comm::Role::kRollout && config.model.lora.rank == 0) out.weights += 2 * policy_weights;
  const bool packs = placement.device < 0 && config.rollout.pack_weights;  // models/packed_weight.h
  if ((role == comm::Role::kRollout || colocated) && packs) out.weights += packed_weight_bytes(policy);
  if (role == comm::Role::kRollout || colocated) {
    int64_t generated = colocated ? completions : ceil_div(completions, config.layout.rollout_workers);
    if (config.rollout.max_sequences > 0) generated = std::min(generated, config.rollout.max_sequences);
    int64_t kv = kv_bytes(policy, generated, sequence);
    // The engine keeps its cache within the budget by pre-empting rows, except that one row always runs (a
    // budget below one sequence still makes progress).
    if (config.rollout.kv_budget_tokens > 0) {
      kv = std::min(kv, kv_bytes(policy, 1, std::max(config.rollout.kv_budget_tokens, sequence)));
    }
    out.kv_cache = std::max(out.kv_cache, kv);
    out.decode_activations = std::max(out.decode_activations, decode_logits_bytes(policy, generated));
  }
  if (role == comm::Role::kLearner || colocated) {
    const int64_t params = parameter_count(policy);
    out.weights += policy_weights;  // the reference model
    const bool mixed = policy.dtype != models::DType::kFloat32;
    const int64_t learners = colocated ? 1 : config.layout.learners;
    // AdamW: two float32 moments, plus a float32 master for 16-bit weights; with ZeRO (learner/sharded_adamw.h)
    // those of this learner's 1/learners share only, beside its float32 piece of the averaged gradient.
    const bool sharded = config.distributed.zero_stage > 0 && learners > 1;
    const int64_t state_per_parameter = int64_t{4} * ((mixed ? 3 : 2) + (sharded ? 1 : 0));
    const int64_t shard = sharded ? ceil_div(params, learners) : params;
    // Gradients in the parameter dtype, or float32 buffers when 16-bit gradients accumulate over several passes
    // (learner/grpo_learner.h).
    const bool accumulates = config.grpo.micro_batch_size > 0 || config.grpo.micro_batch_tokens > 0;
    int64_t gradients = params * (mixed && accumulates ? 4 : dtype_bytes(policy.dtype));
    // Stage 2 drops each gradient during the last backward pass once its float32 bucket holds it. When that is
    // the update's only pass, the full gradient never exists: what lives at most is the largest parameter's
    // gradient and its own bucket (a parameter bigger than distributed.bucket_mb fills one alone), the buckets
    // filling or on the wire (sharded_adamw.h's kInFlight, 2, plus one). With several passes the passes before
    // the last accumulate full gradients.
    if (sharded && config.distributed.zero_stage == 2 && !accumulates) {
      const auto bucket = static_cast<int64_t>(config.distributed.bucket_mb * 1024 * 1024);
      gradients = std::min(gradients, largest_parameter(policy) * (dtype_bytes(policy.dtype) + 4) + 3 * bucket);
    }
    out.optimizer_state = gradients + shard * state_per_parameter;
    const int64_t rows = config.grpo.micro_batch_size > 0 ? config.grpo.micro_batch_size
                                                          : ceil_div(completions, learners * config.grpo.minibatches);
    int64_t tokens = rows * sequence;
    // A token budget bounds a pass's padded tokens, except that a sequence longer than the budget runs alone.
    // Packing (grpo.packing) puts more sequences into those cells, never more cells: the same bound.
    if (config.grpo.micro_batch_tokens > 0) {
      tokens = std::min(tokens, std::max(config.grpo.micro_batch_tokens, sequence));
    }
    const int64_t per_token_layer = 6 * policy.hidden_size + 4 * policy.intermediate_size +
                                    2 * policy.num_kv_heads * policy.head_dim + policy.num_heads * sequence;
    const int64_t per_layer = tokens * per_token_layer * dtype_bytes(policy.dtype);
    // Activation checkpointing keeps each layer's input and recomputes one layer at a time in backward.
    const int64_t layers = config.model.activation_checkpointing
                               ? tokens * policy.hidden_size * policy.num_layers * dtype_bytes(policy.dtype) + per_layer
                               : per_layer * policy.num_layers;
    // The head runs on completion tokens only, model.logprob_chunk_tokens at a time (models/logprobs.h): the
    // float32 logits, their softmax and their gradient of one chunk exist at once in backward.
    const int64_t completion_tokens = tokens * config.rollout.max_new_tokens / std::max<int64_t>(sequence, 1);
    const int64_t logits = 3 * std::min(completion_tokens, config.model.logprob_chunk_tokens) * policy.vocab_size * 4;
    out.learner_activations = layers + logits;
  }
  if (role == comm::Role::kReward || colocated) {
    if (grm != nullptr) {
      out.weights += parameter_count(*grm) * dtype_bytes(grm->dtype) + (packs ? packed_weight_bytes(*grm) : 0);
      const int64_t critiques = config.grm.samples * config.grm.max_responses_per_pass;
      const int64_t length = config.data.max_prompt_tokens + config.rollout.max_new_tokens + config.grm.max_new_tokens;
      out.kv_cache = std::max(out.kv_cache, kv_bytes(*grm, critiques, length));
      out.decode_activations = std::max(out.decode_activations, decode_logits_bytes(*grm, critiques));
    }
    if (meta_rm != nullptr) out.weights += parameter_count(*meta_rm) * dtype_bytes(meta_rm->dtype);
  }
  out.activations = std::max(out.decode_activations, out.learner_activations);
  return out;
}

PhasePeaks phase_peaks(const MemoryEstimate& e, bool take_turns) {
  return {.generating = e.weights + (take_turns ? 0 : e.optimizer_state) + e.kv_cache + e.decode_activations,
          .learning = e.weights + e.optimizer_state + e.learner_activations};
}

std::vector<MemoryEstimate> estimate_job_memory(const config::Config& config, const comm::RankLayout& layout,
                                                const JobShapes& shapes) {
  std::vector<MemoryEstimate> out;
  for (const comm::RankPlacement& p : layout.ranks()) {
    out.push_back(estimate_memory(config, p, shapes.policy, shapes.grm ? &*shapes.grm : nullptr,
                                  shapes.meta_rm ? &*shapes.meta_rm : nullptr));
  }
  return out;
}

std::string memory_table(const comm::RankLayout& layout, const std::vector<MemoryEstimate>& estimates) {
  std::string out = fmt::format("{:>4}  {:<22}  {:>6}  {:>9}  {:>11}  {:>9}  {:>11}  {:>9}\n", "rank", "role", "device",
                                "weights", "grads+optim", "kv cache", "activations", "total");
  std::map<std::pair<int, std::string>, int64_t> per_gpu;  // (node, gpu id) -> summed totals
  for (const comm::RankPlacement& p : layout.ranks()) {
    const MemoryEstimate& e = estimates.at(static_cast<size_t>(p.rank));
    const std::string role = p.role == comm::Role::kOrchestrator || p.role == comm::Role::kColocated
                                 ? comm::role_name(p.role)
                                 : fmt::format("{} {}", comm::role_name(p.role), p.role_index);
    out += fmt::format("{:>4}  {:<22}  {:>6}  {:>7.2f}Gi  {:>9.2f}Gi  {:>7.2f}Gi  {:>9.2f}Gi  {:>7.2f}Gi\n", p.rank,
                       role, p.device < 0 ? "cpu" : std::to_string(p.device), gib(e.weights), gib(e.optimizer_state),
                       gib(e.kv_cache), gib(e.activations), gib(e.total()));
    if (p.device >= 0) per_gpu[{p.node, p.gpu}] += e.total();
  }
  for (const auto& [gpu, bytes] : per_gpu) {
    out += fmt::format("GPU {} on node {}: {:.2f} GiB for the ranks it holds, plus about 0.5 GiB CUDA context each\n",
                       gpu.second, gpu.first, gib(bytes));
  }
  return out;
}

std::string phase_table(const config::Config& config, const comm::RankLayout& layout,
                        const std::vector<MemoryEstimate>& estimates) {
  std::string out;
  for (const comm::RankPlacement& p : layout.ranks()) {
    if (p.role != comm::Role::kColocated) continue;
    const MemoryEstimate& e = estimates.at(static_cast<size_t>(p.rank));
    const bool chosen = takes_turns(config.layout.take_turns, p.device >= 0);
    out += fmt::format("phases of rank {} (layout.take_turns {}: {} on {}):\n", p.rank,
                       config::to_string(config.layout.take_turns), chosen ? "turns taken" : "all resident",
                       p.device < 0 ? "the cpu" : "gpu " + std::to_string(p.device));
    out += fmt::format("{:<26}  {:>10}  {:>9}  {:>9}\n", "", "generating", "learning", "peak");
    for (const bool turns : {true, false}) {
      const PhasePeaks peaks = phase_peaks(e, turns);
      out += fmt::format("{:<26}  {:>8.2f}Gi  {:>7.2f}Gi  {:>7.2f}Gi{}\n",
                         turns ? "  with turn-taking" : "  without (all resident)", gib(peaks.generating),
                         gib(peaks.learning), gib(peaks.peak()), turns == chosen ? "  <- this run" : "");
    }
  }
  return out;
}

}  // namespace spct::train
