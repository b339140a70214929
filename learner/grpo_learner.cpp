#include "learner/grpo_learner.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/sha256.h"
#include "learner/grad_norm.h"
#include "learner/grpo_loss.h"
#include "models/logprobs.h"

namespace spct::learner {
namespace {

at::Tensor to_tensor(const std::vector<double>& values) {
  return at::tensor(at::ArrayRef<double>(values), at::TensorOptions().dtype(at::kDouble));
}

at::Tensor to_bool_tensor(const std::vector<bool>& values) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return at::tensor(at::ArrayRef<uint8_t>(bytes), at::TensorOptions().dtype(at::kByte)).to(at::kBool);
}

// The sampler's per-token log-probs as a [rows, columns] float tensor, zero past each completion's end (the
// loss masks those cells).
at::Tensor padded_logprobs(const std::vector<std::vector<float>>& rows, int64_t columns) {
  std::vector<float> cells(rows.size() * static_cast<std::size_t>(columns), 0.0F);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::size_t count = std::min(rows[r].size(), static_cast<std::size_t>(columns));
    std::copy_n(rows[r].begin(), count,
                cells.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(columns)));
  }
  return at::tensor(at::ArrayRef<float>(cells), at::TensorOptions().dtype(at::kFloat))
      .reshape({static_cast<int64_t>(rows.size()), columns});
}

// [rows, longest completion] bool: true on each completion's tokens (what completion_logprobs' mask holds).
at::Tensor completion_mask(const std::vector<std::vector<int64_t>>& completions) {
  std::size_t columns = 0;
  for (const auto& c : completions) columns = std::max(columns, c.size());
  std::vector<uint8_t> cells(completions.size() * columns, 0);
  for (std::size_t r = 0; r < completions.size(); ++r) {
    std::fill_n(cells.begin() + static_cast<std::ptrdiff_t>(r * columns), completions[r].size(), uint8_t{1});
  }
  return at::tensor(at::ArrayRef<uint8_t>(cells), at::TensorOptions().dtype(at::kByte))
      .reshape({static_cast<int64_t>(completions.size()), static_cast<int64_t>(columns)})
      .to(at::kBool);
}

// The entries of `values` at `rows`, in that order.
template <typename T>
std::vector<T> pick(const std::vector<T>& values, const std::vector<int64_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const int64_t r : rows) out.push_back(values[static_cast<std::size_t>(r)]);
  return out;
}

// `rows` as an int64 index tensor on `device`.
at::Tensor row_index(const std::vector<int64_t>& rows, const at::Device& device) {
  return at::tensor(at::ArrayRef<int64_t>(rows), at::TensorOptions().dtype(at::kLong)).to(device);
}

// The passes of one minibatch (learner/micro_batches.h); equal prompts get equal keys for shared prompts.
std::vector<MicroBatch> plan_passes(const LearnerBatch& rows, const MicroBatchLimits& limits) {
  std::vector<int64_t> prompt_lengths, completion_lengths, prompt_keys;
  std::map<std::vector<int64_t>, int64_t> keys;
  for (int64_t i = 0; i < rows.size(); ++i) {
    const std::vector<int64_t>& prompt = rows.prompts[static_cast<std::size_t>(i)];
    prompt_lengths.push_back(static_cast<int64_t>(prompt.size()));
    completion_lengths.push_back(static_cast<int64_t>(rows.completions[static_cast<std::size_t>(i)].size()));
    if (limits.share_prompts)
      prompt_keys.push_back(keys.try_emplace(prompt, static_cast<int64_t>(keys.size())).first->second);
  }
  return plan_micro_batches(prompt_lengths, completion_lengths, limits, prompt_keys);
}

// The log-probs (and what `options` asks for) of one pass's completions, [pass rows, longest completion] in the
// order of pass.rows: from packed rows when the plan packed them, else from the padded block.
models::CompletionLogProbs pass_logprobs(const models::Transformer& model, const LearnerBatch& rows,
                                         const MicroBatch& pass, const models::LogProbOptions& options) {
  if (!pass.packing.empty()) {
    return models::packed_completion_logprobs(model, pick(rows.prompts, pass.rows), pick(rows.completions, pass.rows),
                                              pass.packing, options);
  }
  return models::completion_logprobs(model, pick(rows.prompts, pass.rows), pick(rows.completions, pass.rows), options);
}

// The no-grad log-probs of every completion of `rows` as one [N, columns] tensor (zero past each completion's
// end), computed pass by pass so that the forward pass holds no more than one pass's activations.
at::Tensor logprobs_in_passes(const models::Transformer& model, const LearnerBatch& rows,
                              const std::vector<MicroBatch>& passes, const models::LogProbOptions& options,
                              int64_t columns) {
  if (passes.size() == 1 && passes.front().packing.empty()) {
    return models::completion_logprobs(model, rows.prompts, rows.completions, options).logprobs;
  }
  at::Tensor out;
  for (const MicroBatch& pass : passes) {
    const at::Tensor logprobs = pass_logprobs(model, rows, pass, options).logprobs;
    if (!out.defined()) out = at::zeros({rows.size(), columns}, logprobs.options());
    out.narrow(1, 0, logprobs.size(1)).index_copy_(0, row_index(pass.rows, out.device()), logprobs);
  }
  return out;
}

// Makes `to` compute what `from` computes: its parameters and, with LoRA, frozen copies of its adapters.
void copy_parameters(models::Transformer& from, models::Transformer& to) {
  at::NoGradGuard no_grad;
  const std::vector<models::NamedTensor> source = from.named_parameters();
  const std::vector<models::NamedTensor> target = to.named_parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].tensor.copy_(source[i].tensor);
  const std::vector<models::NamedLinear> source_linears = from.linears();
  const std::vector<models::NamedLinear> target_linears = to.linears();
  for (std::size_t i = 0; i < source_linears.size(); ++i) {
    const models::Linear& s = *source_linears[i].linear;
    if (!s.has_adapter()) continue;
    models::Linear& t = *target_linears[i].linear;
    t.lora_a = s.lora_a.detach().clone();
    t.lora_b = s.lora_b.detach().clone();
    t.lora_scale = s.lora_scale;
  }
}

// The weight of the router load-balancing loss: model.moe.aux_loss_coef, or config.json's when it is negative;
// 0 for a dense model.
double moe_aux_coef(const GrpoLearnerOptions& options, const models::ModelConfig& model) {
  if (model.num_experts == 0) return 0;
  return options.moe_aux_loss_coef >= 0 ? options.moe_aux_loss_coef : model.router_aux_loss_coef;
}

// Adds one pass's router statistics to per-layer sums: [layer * experts + e] top-k slots, then one entropy sum
// (weighted by slots) per layer.
void add_router_counts(const models::MoeStats& stats, std::vector<double>& counts, std::vector<double>& entropy) {
  if (stats.layers.empty()) return;
  const std::size_t experts = stats.layers.front().tokens_per_expert.size();
  counts.resize(stats.layers.size() * experts, 0.0);
  entropy.resize(stats.layers.size(), 0.0);
  for (std::size_t l = 0; l < stats.layers.size(); ++l) {
    double slots = 0;
    for (std::size_t e = 0; e < experts; ++e) {
      const auto n = static_cast<double>(stats.layers[l].tokens_per_expert[e]);
      counts[l * experts + e] += n;
      slots += n;
    }
    entropy[l] += stats.layers[l].entropy * slots;
  }
}

// The step's moe/* metrics from the learners' summed router statistics (see add_router_counts): the mean
// load-balancing loss, each expert's share of the top-k slots over all layers, the worst layer's busiest and idlest
// expert relative to a balanced load (1), and the mean router entropy. Every token reaches its top-k experts (no
// capacity limit), so nothing is dropped. `counts` and `entropy` must have the same size on every learner.
void add_router_metrics(comm::Communicator* peers, int64_t experts_count, const at::Tensor& aux_sum, int64_t updates,
                        double aux_coef, std::vector<double>& counts, std::vector<double>& entropy, Metrics& metrics) {
  std::vector<double> aux{aux_sum.defined() ? aux_sum.to(at::kCPU, at::kDouble).item<double>() : 0.0};
  const double learners = peers != nullptr ? peers->size() : 1;
  if (peers != nullptr) {
    peers->all_reduce(aux.data(), 1, comm::DataType::kFloat64, comm::ReduceOp::kSum);
    if (!counts.empty()) {
      peers->all_reduce(counts.data(), counts.size(), comm::DataType::kFloat64, comm::ReduceOp::kSum);
      peers->all_reduce(entropy.data(), entropy.size(), comm::DataType::kFloat64, comm::ReduceOp::kSum);
    }
  }
  metrics["moe/aux_loss"] = aux[0] / (static_cast<double>(updates) * learners);
  metrics["moe/aux_loss_coef"] = aux_coef;
  const auto experts = static_cast<std::size_t>(experts_count);
  if (counts.empty() || experts == 0) return;
  const std::size_t layers = counts.size() / experts;
  double total = 0, max_load = 0, min_load = std::numeric_limits<double>::infinity(), entropy_sum = 0;
  std::vector<double> share(experts, 0.0);
  for (std::size_t l = 0; l < layers; ++l) {
    double slots = 0, hi = 0, lo = std::numeric_limits<double>::infinity();
    for (std::size_t e = 0; e < experts; ++e) {
      const double n = counts[l * experts + e];
      share[e] += n;
      slots += n;
      hi = std::max(hi, n);
      lo = std::min(lo, n);
    }
    total += slots;
    entropy_sum += entropy[l];
    // Load relative to a perfectly balanced layer (1): the worst layer's busiest and idlest expert.
    const double mean = slots / static_cast<double>(experts);
    if (mean > 0) {
      max_load = std::max(max_load, hi / mean);
      min_load = std::min(min_load, lo / mean);
    }
  }
  if (total <= 0) return;
  for (std::size_t e = 0; e < experts; ++e) metrics["moe/load_share/" + std::to_string(e)] = share[e] / total;
  metrics["moe/max_load"] = max_load;
  metrics["moe/min_load"] = std::isfinite(min_load) ? min_load : 0.0;
  metrics["moe/router_entropy"] = entropy_sum / total;
}

}  // namespace

// One minibatch's fixed inputs for the whole step: what the epochs re-use.
struct GrpoLearner::Prepared {
  struct Minibatch {
    LearnerBatch rows;
    at::Tensor old_logprobs;         // [N, C]; undefined when pi_old is the current policy (see reuse_current)
    at::Tensor ref_logprobs;         // [N, C]; undefined without a KL term
    at::Tensor rollout_logprobs;     // [N, C] the sampler's; defined with importance sampling only
    at::Tensor advantages;           // [N]
    at::Tensor truncated;            // [N] bool
    LossNormalizer normalizer;       // summed over learners
    std::vector<MicroBatch> passes;  // the forward/backward passes of the update (learner/micro_batches.h)
  };
  std::vector<Minibatch> minibatches;
  // One epoch of one minibatch: the policy is not updated before the last backward pass of the step, so pi_old
  // equals the current log-probs (detached) and needs no forward pass of its own.
  bool reuse_current = false;
  std::vector<double> rewards;  // as used for advantages (KL-in-reward applied)
  double sequence_kl_mean = 0;
};

GrpoLearner::GrpoLearner(const GrpoLearnerOptions& options, models::Transformer& policy, comm::Communicator* peers)
    : options_(options),
      policy_(policy),
      peers_(peers != nullptr && peers->size() > 1 ? peers : nullptr),
      schedule_(options.lr_schedule),
      loss_options_(options.loss),
      kl_(options.loss.beta, options.kl_target, options.kl_horizon),
      logprob_temperature_(options.logprob_temperature),
      micro_batch_limits_{.max_rows = options.micro_batch_size,
                          .max_tokens = options.micro_batch_tokens,
                          .pack = options.packing,
                          .share_prompts = options.share_prompts},
      logprob_chunk_tokens_(options.logprob_chunk_tokens),
      importance_sampling_(options.importance_sampling) {
  advantage_options_ = options.advantages;
  reference_ = std::make_unique<models::Transformer>(policy.config(), 0, policy.device());
  copy_parameters(policy_, *reference_);
  reference_->set_requires_grad(false);
  // With LoRA (adapters attached by the policy's setup) the base stays frozen: the adapters are the only
  // trainable parameters, so the optimizer and the gradient sync hold state for them alone.
  if (policy_.adapter_parameters().empty()) policy_.set_requires_grad(true);
  distributed::NamedTensors named;
  for (const models::NamedTensor& parameter : policy_.trainable_parameters()) {
    params_.push_back(parameter.tensor);
    named.emplace_back(parameter.name, parameter.tensor);
  }
  // Float32 gradient accumulation for 16-bit parameters whenever an update may take several passes: autograd
  // adds each pass's bf16/fp16 gradient into a float32 .grad() (see zero_grad), so low bits are not lost pass
  // after pass. The gradient sync, clipping and AdamW all read gradients dtype-generically.
  // ZeRO stage 2 drops each gradient during the last backward once its bucket holds it (learner/sharded_adamw.h):
  // a buffer kept here would keep the whole gradient alive, so zero_grad() makes fresh ones then.
  const int zero_stage = peers_ != nullptr ? static_cast<int>(options.zero_stage) : 0;
  sharded_drops_grads_ = zero_stage == 2;
  grad_buffers_ = make_grad_buffers();
  const auto bucket_bytes = static_cast<std::size_t>(options.bucket_mb * 1024 * 1024);
  if (zero_stage > 0) {
    sharded_ = std::make_unique<ShardedAdamW>(*peers_, params_, options.adamw, zero_stage,
                                              static_cast<int64_t>(bucket_bytes / sizeof(float)));
  } else {
    optimizer_ = std::make_unique<AdamW>(params_, options.adamw);
  }
  // Stage 2 reduce-scatters the gradients itself; stages 0 and 1 all-reduce them.
  if (peers_ != nullptr && zero_stage < 2) {
    grad_sync_ = std::make_unique<distributed::GradSync>(*peers_, std::move(named), bucket_bytes);
  }
}

GrpoLearner::~GrpoLearner() = default;

NamedTensors GrpoLearner::optimizer_state(bool keep) {
  if (sharded_ != nullptr) return sharded_->state(keep);
  return keep ? optimizer_->state() : NamedTensors{};
}

void GrpoLearner::load_optimizer_state(const NamedTensors& state) {
  if (sharded_ != nullptr) return sharded_->load_state(state);
  optimizer_->load_state(state);
}

bool GrpoLearner::float32_accumulation(const at::Tensor& param) const {
  const bool accumulates = micro_batch_limits_.max_rows > 0 || micro_batch_limits_.max_tokens > 0;
  return accumulates && (param.scalar_type() == at::kBFloat16 || param.scalar_type() == at::kHalf);
}

at::Tensor GrpoLearner::fresh_grad(const at::Tensor& param) const {
  return float32_accumulation(param) ? at::zeros_like(param, param.options().dtype(at::kFloat)) : at::Tensor();
}

std::vector<at::Tensor> GrpoLearner::make_grad_buffers() const {
  std::vector<at::Tensor> buffers;
  for (const at::Tensor& p : params_) buffers.push_back(sharded_drops_grads_ ? at::Tensor() : fresh_grad(p));
  return buffers;
}

void GrpoLearner::offload() {
  if (sharded_ != nullptr) throw Error(ExitCode::kFailure, "learner: turn-taking needs a single learner (no ZeRO)");
  if (optimizer_->offloaded()) return;
  optimizer_->offload_state();
  for (at::Tensor& p : params_) p.mutable_grad() = at::Tensor();
  grad_buffers_.assign(grad_buffers_.size(), at::Tensor());
}

void GrpoLearner::reload() {
  if (sharded_ != nullptr || !optimizer_->offloaded()) return;
  optimizer_->reload_state();
  grad_buffers_ = make_grad_buffers();
}

bool GrpoLearner::offloaded() const {
  return sharded_ == nullptr && optimizer_->offloaded();
}

int64_t GrpoLearner::offloaded_bytes() const {
  if (sharded_ != nullptr) return 0;
  int64_t bytes = optimizer_->state_bytes();
  for (const at::Tensor& p : params_) {
    bytes += p.numel() * (float32_accumulation(p) ? 4 : static_cast<int64_t>(p.element_size()));
  }
  return bytes;
}

void GrpoLearner::zero_grad() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& buffer = grad_buffers_[i];
    // A defined .grad() makes autograd add into it in place (AccumulateGrad: grad += new, here float32 += bf16)
    // instead of storing the pass's 16-bit gradient.
    if (buffer.defined()) {
      buffer.zero_();
      params_[i].mutable_grad() = buffer;
    } else {
      params_[i].mutable_grad() = fresh_grad(params_[i]);
    }
  }
}

double GrpoLearner::update() {
  const double lr = schedule_.lr_at(optimizer_steps_);
  const double clip = options_.grad_clip;
  double norm = 0;
  if (sharded_ != nullptr) {
    norm = sharded_->reduce_gradients();
    sharded_->clip(norm, clip);
    sharded_->set_lr(lr);
    sharded_->step();
  } else {
    norm = grad_norm(params_);
    optimizer_->set_lr(lr);
    optimizer_->step(clip_coefficient(norm, clip));  // clipping as AdamW reads the gradients
  }
  ++optimizer_steps_;
  return norm;
}

void GrpoLearner::sum_over_learners(std::vector<double>& values) const {
  if (peers_ == nullptr || values.empty()) return;
  peers_->all_reduce(values.data(), values.size(), comm::DataType::kFloat64, comm::ReduceOp::kSum);
}

GrpoLearner::Prepared GrpoLearner::prepare(const LearnerBatch& batch) {
  at::NoGradGuard no_grad;
  Prepared prepared;
  const int64_t minibatches = options_.minibatches;
  if (batch.groups() % minibatches != 0) {
    throw Error(ExitCode::kFailure, "learner: " + std::to_string(batch.groups()) +
                                        " groups do not split into grpo.minibatches = " + std::to_string(minibatches));
  }
  const bool need_reference = kl_.beta() > 0;
  const bool kl_in_reward = need_reference && loss_options_.kl_placement == KlPlacement::kReward;
  prepared.reuse_current = options_.epochs == 1 && minibatches == 1 && !kl_in_reward;
  const int64_t groups_per_minibatch = batch.groups() / minibatches;
  std::vector<double> normalizers;  // sequences, tokens per minibatch, summed over learners below
  prepared.rewards = batch.rewards;
  double kl_sum = 0;
  for (int64_t m = 0; m < minibatches; ++m) {
    Prepared::Minibatch minibatch;
    minibatch.rows = slice_groups(batch, m * groups_per_minibatch, groups_per_minibatch);
    minibatch.passes = plan_passes(minibatch.rows, micro_batch_limits_);
    const models::LogProbOptions options{.temperature = logprob_temperature_,
                                         .chunk_tokens = logprob_chunk_tokens_,
                                         .share_prompts = micro_batch_limits_.share_prompts};
    const at::Tensor mask = completion_mask(minibatch.rows.completions);
    // The no-grad forward passes run in the token budget's passes too; without a budget, in one pass (they keep
    // no activations for backward), packed when packing is on.
    const std::vector<MicroBatch> no_grad_passes =
        micro_batch_limits_.max_tokens > 0
            ? minibatch.passes
            : plan_passes(minibatch.rows,
                          {.pack = micro_batch_limits_.pack, .share_prompts = micro_batch_limits_.share_prompts});
    if (!prepared.reuse_current) {
      minibatch.old_logprobs = logprobs_in_passes(policy_, minibatch.rows, no_grad_passes, options, mask.size(1));
    }
    if (importance_sampling_) {
      if (minibatch.rows.rollout_logprobs.size() != minibatch.rows.completions.size()) {
        throw Error(ExitCode::kFailure,
                    "learner: grpo.importance_cap needs the sampler's log-probs of every completion");
      }
      minibatch.rollout_logprobs = padded_logprobs(minibatch.rows.rollout_logprobs, mask.size(1));
    }
    if (need_reference) {
      minibatch.ref_logprobs = logprobs_in_passes(*reference_, minibatch.rows, no_grad_passes, options, mask.size(1));
    }
    minibatch.truncated = to_bool_tensor(minibatch.rows.truncated);
    if (kl_in_reward) {
      // KL in the reward: r_i <- r_i - beta * sum_t KL_it, before advantages are computed.
      LossInputs inputs{minibatch.old_logprobs,
                        minibatch.old_logprobs,
                        minibatch.ref_logprobs,
                        at::zeros({minibatch.rows.size()}, at::kDouble),
                        mask,
                        minibatch.truncated,
                        {}};
      const at::Tensor kl = grpo_loss(inputs, loss_options_).sequence_kl.to(at::kCPU, at::kDouble).contiguous();
      for (int64_t i = 0; i < minibatch.rows.size(); ++i) {
        const double value = kl.data_ptr<double>()[i];
        prepared.rewards[static_cast<std::size_t>(m * groups_per_minibatch * batch.group_size + i)] -=
            kl_.beta() * value;
        kl_sum += value;
      }
    }
    const LossNormalizer local = loss_normalizer(mask, minibatch.truncated, loss_options_);
    normalizers.push_back(local.sequences);
    normalizers.push_back(local.tokens);
    prepared.minibatches.push_back(std::move(minibatch));
  }
  sum_over_learners(normalizers);
  const std::vector<double> advantages = batch_advantages(prepared.rewards, batch.group_size, advantage_options_);
  for (int64_t m = 0; m < minibatches; ++m) {
    Prepared::Minibatch& minibatch = prepared.minibatches[static_cast<std::size_t>(m)];
    minibatch.normalizer = {normalizers[static_cast<std::size_t>(2 * m)],
                            normalizers[static_cast<std::size_t>(2 * m + 1)]};
    const auto first = advantages.begin() + m * groups_per_minibatch * batch.group_size;
    minibatch.advantages = to_tensor(std::vector<double>(first, first + minibatch.rows.size()));
  }
  prepared.sequence_kl_mean = batch.size() > 0 ? kl_sum / static_cast<double>(batch.size()) : 0;
  return prepared;
}

Metrics GrpoLearner::step(const LearnerBatch& batch, int64_t step) {
  reload();  // the learner's turn on memory (a no-op unless offload() ran)
  loss_options_.beta = kl_.beta();
  Prepared prepared = prepare(batch);

  // The loss statistics of every pass add up on the device and are read once, after the last update: a read
  // inside the loop would stall the device queue once per micro-batch.
  at::Tensor loss_sum, stats_sum, ratio_min, ratio_max;
  double grad_norm_sum = 0;
  int64_t updates = 0;
  const bool entropy_bonus = loss_options_.entropy_coef > 0;
  const bool moe = policy_.config().num_experts > 0;
  const double aux_coef = moe_aux_coef(options_, policy_.config());
  at::Tensor aux_sum;                                 // the passes' load-balancing losses, weighted by rows
  std::vector<double> router_counts, router_entropy;  // first epoch's routing (add_router_counts)
  LossTerms terms;
  PaddingTotals padding;  // over every training pass of the step
  int64_t passes = 0;
  for (int64_t epoch = 0; epoch < options_.epochs; ++epoch) {
    for (Prepared::Minibatch& minibatch : prepared.minibatches) {
      zero_grad();
      // Gradient accumulation: the minibatch's forward and backward passes run one micro-batch at a time
      // (learner/micro_batches.h). Every pass uses the whole minibatch's normaliser, so the accumulated gradient
      // equals one pass's.
      const int64_t rows = minibatch.rows.size();
      const PaddingTotals minibatch_padding = padding_totals(minibatch.passes);
      padding.padded_tokens += minibatch_padding.padded_tokens;
      padding.real_tokens += minibatch_padding.real_tokens;
      for (std::size_t pass = 0; pass < minibatch.passes.size(); ++pass) {
        const std::vector<int64_t>& pass_rows = minibatch.passes[pass].rows;
        const auto count = static_cast<int64_t>(pass_rows.size());
        ++passes;
        // The entropy is always computed for its metric; it carries gradients only for the bonus.
        models::LogProbOptions options{.temperature = logprob_temperature_,
                                       .with_entropy = true,
                                       .entropy_grad = entropy_bonus,
                                       .chunk_tokens = logprob_chunk_tokens_,
                                       .share_prompts = micro_batch_limits_.share_prompts};
        models::MoeStats moe_stats;
        moe_stats.collect_metrics = epoch == 0;
        if (moe) options.moe = &moe_stats;
        const models::CompletionLogProbs current =
            pass_logprobs(policy_, minibatch.rows, minibatch.passes[pass], options);
        // The pass's rows; its longest completion may be shorter than the minibatch's (later columns are padding).
        const int64_t columns = current.logprobs.size(1);
        const at::Tensor index = row_index(pass_rows, current.logprobs.device());
        const auto rows_of = [&](const at::Tensor& t) {
          return t.defined() ? t.index_select(0, index.to(t.device())) : t;
        };
        const auto cells_of = [&](const at::Tensor& t) { return t.defined() ? rows_of(t).narrow(1, 0, columns) : t; };
        const LossInputs inputs{current.logprobs,
                                prepared.reuse_current ? current.logprobs.detach() : cells_of(minibatch.old_logprobs),
                                cells_of(minibatch.ref_logprobs),
                                rows_of(minibatch.advantages),
                                current.mask,
                                rows_of(minibatch.truncated),
                                cells_of(minibatch.rollout_logprobs),
                                current.entropy};
        const LossResult result = grpo_loss(inputs, loss_options_, minibatch.normalizer);
        terms = result.terms;
        at::Tensor loss = result.loss;
        loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach().clone();
        stats_sum = stats_sum.defined() ? stats_sum + result.stats : result.stats;
        ratio_min =
            ratio_min.defined() ? at::minimum(ratio_min, result.stats[kStatRatioMin]) : result.stats[kStatRatioMin];
        ratio_max =
            ratio_max.defined() ? at::maximum(ratio_max, result.stats[kStatRatioMax]) : result.stats[kStatRatioMax];
        // Each learner's loss is its share of the whole minibatch's loss (whole-batch normaliser), so the gradient
        // of the minibatch is the SUM of the learners' gradients; GradSync (or the reduce-scatter of ZeRO stage 2)
        // averages, hence the factor.
        if (peers_ != nullptr) loss = loss.mul(static_cast<double>(peers_->size()));
        if (moe_stats.aux_loss.defined()) {
          // The router load-balancing loss: each pass's token mean weighted by its share of the minibatch's rows,
          // added after the learner factor above so that the learners' average (GradSync or ZeRO's
          // reduce-scatter) is their mean.
          const at::Tensor aux = moe_stats.aux_loss * (static_cast<double>(count) / static_cast<double>(rows));
          aux_sum = aux_sum.defined() ? aux_sum + aux.detach() : aux.detach().clone();
          if (aux_coef > 0) loss = loss + aux * aux_coef;
          add_router_counts(moe_stats, router_counts, router_entropy);
        }
        // The last pass completes the gradients: its backward starts the all-reduce (or, at ZeRO stage 2, the
        // reduce-scatter) of each bucket as it fills.
        if (pass + 1 == minibatch.passes.size()) {
          if (grad_sync_ != nullptr) grad_sync_->arm();
          if (sharded_ != nullptr && sharded_->stage() == 2) sharded_->arm();
        }
        loss.backward();
      }
      if (grad_sync_ != nullptr) grad_sync_->sync();
      grad_norm_sum += update();
      ++updates;
    }
  }
  // The one read of the step: the summed statistics, the summed loss, and the ratio extremes.
  const at::Tensor read = at::cat({stats_sum.to(at::kDouble), loss_sum.to(at::kDouble).reshape({1}),
                                   ratio_min.reshape({1}).neg(), ratio_max.reshape({1})})
                              .to(at::kCPU)
                              .contiguous();
  std::vector<double> sums(read.data_ptr<double>(), read.data_ptr<double>() + kLossStatCount + 1);
  const std::size_t padding_at = sums.size();
  sums.push_back(static_cast<double>(padding.padded_tokens));
  sums.push_back(static_cast<double>(padding.real_tokens));
  sums.push_back(static_cast<double>(passes));
  sum_over_learners(sums);
  std::vector<double> extremes(read.data_ptr<double>() + kLossStatCount + 1,
                               read.data_ptr<double>() + kLossStatCount + 3);
  if (peers_ != nullptr) peers_->all_reduce(extremes.data(), 2, comm::DataType::kFloat64, comm::ReduceOp::kMax);
  const double loss_total = sums[kLossStatCount];
  sums[kStatRatioMin] = -extremes[0];
  sums[kStatRatioMax] = extremes[1];
  const LossMetrics totals = loss_metrics(at::tensor(at::ArrayRef<double>(sums.data(), kLossStatCount)), terms);

  const double learners = peers_ != nullptr ? peers_->size() : 1;
  Metrics metrics;
  // The loss of every learner is already normalised by whole-batch totals, so their sum is the batch's loss.
  metrics["loss/total"] = loss_total / static_cast<double>(updates);
  metrics["loss/policy"] = totals.policy_loss / static_cast<double>(updates);
  // Token means over the effective tokens (those the loss sees: overlong-filtered completions excluded).
  metrics["loss/kl"] = totals.kl_mean.value_or(0.0);
  metrics["loss/entropy"] = totals.entropy_mean.value_or(0.0);
  metrics["loss/clip_fraction_low"] = totals.clip_fraction_low;
  metrics["loss/clip_fraction_high"] = totals.clip_fraction_high;
  metrics["loss/ratio_mean"] = totals.ratio_mean;
  // Extremes of no token at all (+inf / -inf) read as 1, the ratio of an unchanged policy.
  metrics["loss/ratio_min"] = std::isfinite(sums[kStatRatioMin]) ? sums[kStatRatioMin] : 1.0;
  metrics["loss/ratio_max"] = std::isfinite(sums[kStatRatioMax]) ? sums[kStatRatioMax] : 1.0;
  metrics["loss/beta"] = kl_.beta();
  if (importance_sampling_) {
    metrics["loss/importance_weight_mean"] = totals.importance_weight_mean.value_or(0.0);
    metrics["loss/importance_capped_fraction"] = totals.importance_capped_fraction;
  }
  metrics["optim/grad_norm"] = grad_norm_sum / static_cast<double>(updates);
  metrics["optim/lr"] = sharded_ != nullptr ? sharded_->lr() : optimizer_->lr();
  metrics["learner/tokens"] = sums[kStatTokens] / static_cast<double>(options_.epochs);
  metrics["learner/count"] = learners;
  // Padding: the share of the model's input cells (rows x (longest prompt + longest completion) per pass, or
  // packed rows x their width; over all learners) that hold no token; passes: forward/backward passes per learner in
  // the step.
  const double padded_cells = sums[padding_at];
  metrics["learner/padding_share"] = padded_cells > 0 ? (padded_cells - sums[padding_at + 1]) / padded_cells : 0.0;
  metrics["learner/micro_batches"] = sums[padding_at + 2] / learners;
  if (loss_options_.kl_placement == KlPlacement::kReward) metrics["loss/kl_in_reward"] = prepared.sequence_kl_mean;
  if (moe) {
    add_router_metrics(peers_, policy_.config().num_experts, aux_sum, updates, aux_coef, router_counts, router_entropy,
                       metrics);
  }

  kl_.update(metrics["loss/kl"], batch.size() * static_cast<int64_t>(learners));
  if (options_.ref_reset_every > 0 && (step + 1) % options_.ref_reset_every == 0) {
    copy_parameters(policy_, *reference_);
  }
  return metrics;
}

std::string GrpoLearner::weights_digest() const {
  std::string bytes;
  std::vector<models::NamedTensor> tensors = policy_.named_parameters();
  for (models::NamedTensor& adapter : policy_.adapter_parameters()) tensors.push_back(std::move(adapter));
  for (const models::NamedTensor& parameter : tensors) {
    const at::Tensor t = parameter.tensor.detach().contiguous().cpu();
    bytes.append(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.nbytes()));
  }
  return sha256_hex(bytes);
}

}  // namespace spct::learner
