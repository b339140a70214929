// The experiment config as plain structs: what every component reads. Field meanings, types, defaults and
// valid ranges are declared once, in core/config/schema_*.cpp; docs/configuration.md is generated from there.
// Defaults live here as member initialisers (the schema reads them back, so there is one source of truth).
// Enumerations are enum classes (core/config/choices.h), parsed from their spellings once at load time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/choices.h"

namespace spct::config {

struct RunSection {
  std::string name = "quickstart";
  std::string dir = "runs";
  int64_t seed = 1;
  int64_t steps = 40;
  int64_t threads = 0;
  LogLevel log_level = LogLevel::kInfo;
  bool verify_learner_sync = false;
  Job job = Job::kGrpo;
};

struct LayoutSection {
  int64_t rollout_workers = 1;
  int64_t reward_workers = 1;
  int64_t learners = 1;
  bool colocate = false;
  TurnTaking take_turns = TurnTaking::kAuto;
};

struct TimeoutsSection {
  double startup_s = 120;
  double step_s = 600;
  double heartbeat_s = 5;
};

// Tensor traffic between ranks (distributed/): gradient all-reduce among learners, weight sync to rollout workers.
struct DistributedSection {
  double bucket_mb = 25;
  double weight_bucket_mb = 64;
  int64_t zero_stage = 0;
};

// LoRA adapters on the policy (models/lora.h); rank 0 trains the full model.
struct LoraSection {
  int64_t rank = 0;
  double alpha = 16;
  double dropout = 0;
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
};

struct MoeSection {
  double aux_loss_coef = -1;  // < 0: the model's config.json router_aux_loss_coef
};

struct ModelSection {
  std::string path;
  ModelFamily family = ModelFamily::kQwen2;
  int64_t hidden_size = 64;
  int64_t num_layers = 2;
  int64_t num_heads = 4;
  int64_t num_kv_heads = 2;
  int64_t intermediate_size = 128;
  int64_t max_position = 128;
  double rope_theta = 10000;
  double rms_norm_eps = 1e-6;
  bool tie_embeddings = true;
  ModelDType dtype = ModelDType::kAuto;
  Device device = Device::kAuto;
  int64_t logprob_chunk_tokens = 1024;
  bool activation_checkpointing = false;
  LoraSection lora;
  MoeSection moe;
};

struct TokenizerSection {
  TokenizerKind kind = TokenizerKind::kChar;
  std::string path;
  ChatTemplateChoice chat_template = ChatTemplateChoice::kNone;
  ChatTemplate chat_template_fallback = ChatTemplate::kNone;  // the built-in `auto` uses for a model without one
};

struct DataSection {
  DataTask task = DataTask::kAdd;
  std::string path;
  bool shuffle = true;
  int64_t max_prompt_tokens = 64;
  std::string eval_path;
  int64_t eval_size = 64;
  int64_t max_operand = 9;
  int64_t max_length = 3;
  DataFormat format = DataFormat::kPrompts;
  TaskKind preference_task = TaskKind::kAdd;
  int64_t preference_responses = 2;
  // The keys (JSONL) or columns (Parquet) an item's parts are read from, and how the reference answer is cut
  // out of the answer field (orchestrator/data/reference_answer.h).
  std::string prompt_field = "prompt";
  std::string messages_field = "messages";
  std::string answer_field = "answer";
  std::string id_field = "id";
  ReferenceExtraction answer_extraction = ReferenceExtraction::kNone;
};

struct RolloutSection {
  int64_t group_size = 8;
  int64_t prompts_per_step = 8;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  int64_t max_new_tokens = 8;
  std::vector<std::string> stop;
  RolloutMode mode = RolloutMode::kSync;
  bool share_prefixes = true;    // prefill each prompt once and fork its KV cache for its group
  int64_t max_sequences = 0;     // rows decoded together by the rollout engine; 0 = no limit
  int64_t kv_budget_tokens = 0;  // KV-cache token slots over all rows; 0 = no limit
  int64_t kv_block_tokens = 16;  // the KV cache grows this many slots at a time
  bool pack_weights = true;      // CPU ranks that generate keep packed weights (models/packed_weight.h)
};

struct RewardSection {
  std::vector<std::string> functions = {"exact_match"};
  std::vector<double> weights;
  AnswerFormat answer_format = AnswerFormat::kLine;
  bool case_sensitive = true;
  bool normalize_whitespace = true;
  double numeric_rel_tolerance = 1e-6;
  double numeric_abs_tolerance = 1e-9;
  std::string regex;
  std::string format_pattern;
  int64_t overlong_buffer = 4;
  bool overlong_shaping = false;  // adds the `overlong` function unless reward.functions lists it
};

// The generative reward model's critique pass (DeepSeek-GRM / SPCT); read by workers/reward/grm.
struct GrmSection {
  std::vector<std::string> principles = {
      "Instruction adherence: the response does exactly what the query asks, completely and on topic",
      "Correctness: every claim, calculation and piece of code in the response is accurate",
      "Helpfulness: the response gives the user what they need to act, with appropriate depth",
      "Clarity: the response is well organised, concise and easy to follow",
      "Harmlessness: the response avoids unsafe, deceptive or offensive content"};
  std::vector<double> principle_weights = {0.3, 0.3, 0.2, 0.1, 0.1};
  int64_t samples = 8;
  int64_t meta_samples = 0;
  double temperature = 0.5;
  int64_t max_responses_per_pass = 8;
  ParseFallback parse_fallback = ParseFallback::kSkip;
  int64_t score_min = 1;
  int64_t score_max = 10;
  double rule_weight = 0.0;
  std::string model_path;
  std::string meta_model_path;
  GrmBackend backend = GrmBackend::kLocal;
  std::string remote_url;
  std::string remote_model = "grm";
  double remote_timeout_s = 120;
  int64_t remote_retries = 3;
  int64_t remote_concurrency = 4;
  std::string remote_api_key_env;
  RemoteFallback remote_fallback = RemoteFallback::kFail;
  int64_t remote_breaker_failures = 3;  // 0: no circuit breaker
  double remote_breaker_cooldown_s = 30;
  GrmPromptTemplate prompt_template = GrmPromptTemplate::kFull;
  int64_t max_new_tokens = 256;
  std::vector<std::string> stop;
  int64_t rft_rounds = 2;
  int64_t rft_items = 256;
  int64_t rft_samples = 3;
  int64_t rft_sft_steps = 20;
  bool rft_hinted = false;
  int64_t meta_items = 256;
  int64_t meta_train_steps = 100;
  double meta_lr = 1e-3;
};

struct GrpoSection {
  double lr = 1e-6;
  double weight_decay = 0.0;
  double beta = 0.04;
  KlEstimator kl_estimator = KlEstimator::kK3;
  double clip_low = 0.2;
  double clip_high = 0.2;
  bool std_normalize = true;
  LossAggregation loss_aggregation = LossAggregation::kSeqMeanTokenMean;
  int64_t epochs = 1;
  int64_t minibatches = 1;
  int64_t micro_batch_size = 0;
  int64_t micro_batch_tokens = 0;
  bool packing = false;
  bool share_prompts = false;
  double grad_clip = 1.0;
  int64_t warmup_steps = 0;
  KlPlacement kl_in = KlPlacement::kLoss;
  double kl_target = 0.0;
  int64_t kl_horizon = 10000;
  double dual_clip = 0.0;
  double entropy_coef = 0.0;
  double advantage_eps = 1e-6;
  bool overlong_filter = false;
  bool dynamic_sampling = false;
  int64_t ref_reset_every = 0;
  LrDecay lr_schedule = LrDecay::kConstant;
  double min_lr_ratio = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  double importance_cap = 2.0;
};

struct SftSection {
  int64_t warmup_steps = 0;
  int64_t batch_size = 32;
  double lr = 1e-3;
};

struct CheckpointSection {
  int64_t every = 0;
  int64_t keep_last = 3;
  int64_t keep_every = 0;
};

// What the orchestrator shows while a run is going: progress output, TensorBoard files, the status endpoint.
struct ObserveSection {
  ProgressSetting progress = ProgressSetting::kAuto;
  int64_t progress_every_steps = 10;
  double progress_every_s = 60;
  bool tensorboard = true;
  int64_t status_port = 0;
  std::string status_host = "127.0.0.1";
  int64_t rollout_log_every = 10;  // 0 = no rollout logs
  RolloutLogCompression rollout_log_compress = RolloutLogCompression::kZstd;
  int64_t rollout_log_max_file_bytes = int64_t{64} << 20;
  int64_t rollout_log_max_run_bytes = int64_t{1} << 30;
  int64_t rollout_log_critique_chars = 4000;  // per completion line; 0 = no GRM critiques in the log
  int64_t rollout_log_info_chars = 1000;      // per completion and external reward; 0 = no info in the log
  int64_t tensorboard_samples = 4;
};

// Defaults for `spct submit` (orchestrator/submit): the sbatch options and job environment of a SLURM job.
struct SlurmSection {
  std::string partition;
  std::string account;
  std::string qos;
  std::string time;
  int64_t nodes = 1;
  int64_t gpus_per_node = 0;
  int64_t cpus_per_task = 0;
  std::string mpi = "pmix";
  int64_t signal_lead_s = 120;
  std::vector<std::string> sbatch_lines;
  std::vector<std::string> srun_args;
  std::vector<std::string> setup;
};

// `spct eval`: what is evaluated and how (orchestrator/eval/).
struct EvalSection {
  EvalTarget target = EvalTarget::kAuto;
  std::vector<double> k = {1, 4, 8};
  int64_t max_items = 0;
  int64_t samples = 0;  // policy eval: sampled completions per item besides the greedy one; 0 = greedy only
  double temperature = 1.0;
};

struct Config {
  RunSection run;
  LayoutSection layout;
  TimeoutsSection timeouts;
  DistributedSection distributed;
  ModelSection model;
  TokenizerSection tokenizer;
  DataSection data;
  RolloutSection rollout;
  RewardSection reward;
  GrmSection grm;
  EvalSection eval;
  GrpoSection grpo;
  SftSection sft;
  CheckpointSection checkpoint;
  ObserveSection observe;
  SlurmSection slurm;
};

}  // namespace spct::config
