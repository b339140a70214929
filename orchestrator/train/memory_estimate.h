// How much device (or host) memory each rank of a job needs, estimated from the config alone: what
// `spct train --dry-run` prints before anyone waits in a SLURM queue for a GPU that is too small.
//
// Per model a rank holds: weights (parameters x dtype size; on CPU ranks that generate, plus generation's packed
// copies of the weights of at least 256 x 256 elements, models/packed_weight.h); on learners also the reference
// model (same size),
// gradients (parameter dtype; float32 for 16-bit parameters whose gradients accumulate over micro-batches), and
// optimizer state: AdamW's two float32 moments, plus a float32 master copy of
// the weights when the parameter dtype is not float32; with distributed.zero_stage 1 or 2 and several learners,
// the moments and float32 master of 1/learners of the parameters. KV caches: keys and values of every layer for the
// sequences generated together (a rollout worker's share of a step's completions, the GRM's critique samples).
// Activations: what one learner micro-batch keeps for backward (grpo.micro_batch_size completions, or at most
// grpo.micro_batch_tokens padded tokens, of the longest sequence length; with grpo.packing the same bound, since
// packed rows are as wide as the longest sequence and a pass stays within the same budget), per layer per token
// roughly 6 x hidden + 4 x intermediate + 2 x kv width values in the compute dtype plus the eager attention's
// probabilities (heads x sequence per token), or with model.activation_checkpointing each layer's input and one
// layer's activations; and the float32 logits, softmax and logit gradient of one model.logprob_chunk_tokens chunk
// of completion tokens (the head runs on completion tokens only).
// The figures are lower bounds of the same order as the peers' calculators: allocator slack, CUDA context
// (about 0.5 GiB per process) and temporaries come on top.
//
// Tensor-free: the shapes come from models::ModelConfig.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/comm/layout.h"
#include "core/config/config.h"
#include "models/model_config.h"

namespace spct::train {

// Parameters of a model of shape `config` (embedding, decoder layers, final norm and an untied head).
int64_t parameter_count(const models::ModelConfig& config);

// Bytes per parameter of a dtype.
int64_t dtype_bytes(models::DType dtype);

struct MemoryEstimate {
  int64_t weights = 0;          // every model the rank holds
  int64_t optimizer_state = 0;  // gradients, AdamW moments and master weights (learners)
  int64_t kv_cache = 0;
  int64_t activations = 0;          // one learner micro-batch (learners), decode logits (rollout, reward): the larger
  int64_t decode_activations = 0;   // the decode logits alone (rollout, reward)
  int64_t learner_activations = 0;  // the learner micro-batch alone (learners)
  int64_t total() const { return weights + optimizer_state + kv_cache + activations; }
};

// A colocated rank's peak in each phase (orchestrator/train/turn_taking.h). Generating: the weights, the KV cache
// and the decode logits, plus the optimizer state and gradients unless the learner took them off the device
// (`take_turns`). Learning: the weights, the optimizer state and gradients and one micro-batch's activations (the
// engine's KV cache is freed by then either way).
struct PhasePeaks {
  int64_t generating = 0;
  int64_t learning = 0;
  int64_t peak() const { return generating > learning ? generating : learning; }
};
PhasePeaks phase_peaks(const MemoryEstimate& estimate, bool take_turns);

// What rank `placement` needs in a job of `config` with policy shape `policy`. `grm`: the GRM's shape when reward
// workers run one (grm.model_path), else null; `meta_rm`: likewise for grm.meta_model_path.
MemoryEstimate estimate_memory(const config::Config& config, const comm::RankPlacement& placement,
                               const models::ModelConfig& policy, const models::ModelConfig* grm,
                               const models::ModelConfig* meta_rm);

// The shapes of the models a job holds.
struct JobShapes {
  models::ModelConfig policy;
  std::optional<models::ModelConfig> grm;      // when reward workers run a local GRM (grm.model_path)
  std::optional<models::ModelConfig> meta_rm;  // when they run a meta RM (grm.meta_model_path)
};

// estimate_memory() for every rank of `layout`.
std::vector<MemoryEstimate> estimate_job_memory(const config::Config& config, const comm::RankLayout& layout,
                                                const JobShapes& shapes);

// A table with one line per rank: rank, role, device, weights, optimizer state, KV cache, activations, total
// (GiB), and a line naming the largest total per GPU when ranks share one.
std::string memory_table(const comm::RankLayout& layout, const std::vector<MemoryEstimate>& estimates);

// For a colocated layout: each phase's peak (GiB) with and without turn-taking, and which one layout.take_turns
// picks on the rank's device; "" for other layouts.
std::string phase_table(const config::Config& config, const comm::RankLayout& layout,
                        const std::vector<MemoryEstimate>& estimates);

}  // namespace spct::train
