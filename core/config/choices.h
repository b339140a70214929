// The enumerated settings of the experiment config, each an enum class with its spellings in one table.
//
// The loader parses a choice once (core/config/schema.cpp checks the spelling against choice_names<E>() and
// names the key and line of a bad one), so components compare enums, never strings. to_string() gives back the
// spelling a config file uses: `spct config show`, config_hash() and error messages print it.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spct::config {

// run.job: what `spct train` runs.
enum class Job { kGrpo, kGrmRft, kMetaRm, kScalarRm };

// model.family: the layout of a new model.
enum class ModelFamily { kLlama, kQwen2, kQwen3 };

// model.dtype: kAuto keeps a loaded model's dtype (float32 for a new model).
enum class ModelDType { kAuto, kFloat32, kBFloat16, kFloat16 };

// model.device: kAuto is the rank's GPU when CUDA sees one, else the CPU (models/device.h).
enum class Device { kAuto, kCpu, kCuda };

// tokenizer.kind.
enum class TokenizerKind { kChar, kHf };

// data.format: how the items of data.path are read.
enum class DataFormat { kPrompts, kPreference };

// rollout.mode: kSync is on-policy; kAsync generates step t+1 while step t is learned.
enum class RolloutMode { kSync, kAsync };

// grm.backend: where GRM critiques are sampled.
enum class GrmBackend { kLocal, kRemote };

// grm.remote_fallback: what a remote GRM request that failed for good scores.
enum class RemoteFallback { kFail, kUnparsable };

// grm.prompt_template.
enum class GrmPromptTemplate { kFull, kCompact, kCompactPrinciples };

// eval.target: what `spct eval` evaluates; kAuto follows the data.
enum class EvalTarget { kAuto, kGrm, kPolicy };

// grpo.kl_estimator: KL(pi || ref) per token (learner/loss_options.h).
enum class KlEstimator { kK1, kK2, kK3 };

// grpo.kl_in: where the KL penalty enters (learner/loss_options.h).
enum class KlPlacement { kLoss, kReward };

// grpo.loss_aggregation: how per-token losses become one number (learner/loss_options.h).
enum class LossAggregation { kSeqMeanTokenMean, kTokenMean, kSeqMeanTokenSumNorm };

// grpo.lr_schedule: the decay after warm-up (learner/lr_schedule.h).
enum class LrDecay { kConstant, kCosine };

// observe.rollout_log_compress.
enum class RolloutLogCompression { kZstd, kNone };

// The spellings of enum E, in the order the docs list them. Specialised below for every choice.
template <class E>
struct ChoiceTable;

// An enum with a ChoiceTable.
template <class E>
concept Choice = requires {
  ChoiceTable<E>::kNames;
};

// The spelling of `value` in a config file.
template <Choice E>
std::string to_string(E value) {
  for (const auto& [choice, name] : ChoiceTable<E>::kNames) {
    if (choice == value) return std::string(name);
  }
  return "?";  // unreachable for a value of the enum
}

// The value spelled `name`, or nullopt when no value of E is spelled so.
template <Choice E>
std::optional<E> from_string(std::string_view name) {
  for (const auto& [choice, spelling] : ChoiceTable<E>::kNames) {
    if (spelling == name) return choice;
  }
  return std::nullopt;
}

// Every spelling of E, in table order: the choices the schema accepts and the docs list.
template <Choice E>
std::vector<std::string> choice_names() {
  std::vector<std::string> names;
  names.reserve(ChoiceTable<E>::kNames.size());
  for (const auto& entry : ChoiceTable<E>::kNames) names.emplace_back(entry.second);
  return names;
}

template <>
struct ChoiceTable<Job> {
  static constexpr std::array<std::pair<Job, std::string_view>, 4> kNames = {
      {{Job::kGrpo, "grpo"}, {Job::kGrmRft, "grm_rft"}, {Job::kMetaRm, "meta_rm"}, {Job::kScalarRm, "scalar_rm"}}};
};

template <>
struct ChoiceTable<ModelFamily> {
  static constexpr std::array<std::pair<ModelFamily, std::string_view>, 3> kNames = {
      {{ModelFamily::kLlama, "llama"}, {ModelFamily::kQwen2, "qwen2"}, {ModelFamily::kQwen3, "qwen3"}}};
};

template <>
struct ChoiceTable<ModelDType> {
  static constexpr std::array<std::pair<ModelDType, std::string_view>, 4> kNames = {
      {{ModelDType::kAuto, "auto"},
       {ModelDType::kFloat32, "float32"},
       {ModelDType::kBFloat16, "bfloat16"},
       {ModelDType::kFloat16, "float16"}}};
};

template <>
struct ChoiceTable<Device> {
  static constexpr std::array<std::pair<Device, std::string_view>, 3> kNames = {
      {{Device::kAuto, "auto"}, {Device::kCpu, "cpu"}, {Device::kCuda, "cuda"}}};
};

template <>
struct ChoiceTable<TokenizerKind> {
  static constexpr std::array<std::pair<TokenizerKind, std::string_view>, 2> kNames = {
      {{TokenizerKind::kChar, "char"}, {TokenizerKind::kHf, "hf"}}};
};

template <>
struct ChoiceTable<DataFormat> {
  static constexpr std::array<std::pair<DataFormat, std::string_view>, 2> kNames = {
      {{DataFormat::kPrompts, "prompts"}, {DataFormat::kPreference, "preference"}}};
};

template <>
struct ChoiceTable<RolloutMode> {
  static constexpr std::array<std::pair<RolloutMode, std::string_view>, 2> kNames = {
      {{RolloutMode::kSync, "sync"}, {RolloutMode::kAsync, "async"}}};
};

template <>
struct ChoiceTable<GrmBackend> {
  static constexpr std::array<std::pair<GrmBackend, std::string_view>, 2> kNames = {
      {{GrmBackend::kLocal, "local"}, {GrmBackend::kRemote, "remote"}}};
};

template <>
struct ChoiceTable<RemoteFallback> {
  static constexpr std::array<std::pair<RemoteFallback, std::string_view>, 2> kNames = {
      {{RemoteFallback::kFail, "fail"}, {RemoteFallback::kUnparsable, "unparsable"}}};
};

template <>
struct ChoiceTable<GrmPromptTemplate> {
  static constexpr std::array<std::pair<GrmPromptTemplate, std::string_view>, 3> kNames = {
      {{GrmPromptTemplate::kFull, "full"},
       {GrmPromptTemplate::kCompact, "compact"},
       {GrmPromptTemplate::kCompactPrinciples, "compact_principles"}}};
};

template <>
struct ChoiceTable<EvalTarget> {
  static constexpr std::array<std::pair<EvalTarget, std::string_view>, 3> kNames = {
      {{EvalTarget::kAuto, "auto"}, {EvalTarget::kGrm, "grm"}, {EvalTarget::kPolicy, "policy"}}};
};

template <>
struct ChoiceTable<KlEstimator> {
  static constexpr std::array<std::pair<KlEstimator, std::string_view>, 3> kNames = {
      {{KlEstimator::kK1, "k1"}, {KlEstimator::kK2, "k2"}, {KlEstimator::kK3, "k3"}}};
};

template <>
struct ChoiceTable<KlPlacement> {
  static constexpr std::array<std::pair<KlPlacement, std::string_view>, 2> kNames = {
      {{KlPlacement::kLoss, "loss"}, {KlPlacement::kReward, "reward"}}};
};

template <>
struct ChoiceTable<LossAggregation> {
  static constexpr std::array<std::pair<LossAggregation, std::string_view>, 3> kNames = {
      {{LossAggregation::kSeqMeanTokenMean, "seq_mean_token_mean"},
       {LossAggregation::kTokenMean, "token_mean"},
       {LossAggregation::kSeqMeanTokenSumNorm, "seq_mean_token_sum_norm"}}};
};

template <>
struct ChoiceTable<LrDecay> {
  static constexpr std::array<std::pair<LrDecay, std::string_view>, 2> kNames = {
      {{LrDecay::kConstant, "constant"}, {LrDecay::kCosine, "cosine"}}};
};

template <>
struct ChoiceTable<RolloutLogCompression> {
  static constexpr std::array<std::pair<RolloutLogCompression, std::string_view>, 2> kNames = {
      {{RolloutLogCompression::kZstd, "zstd"}, {RolloutLogCompression::kNone, "none"}}};
};

}  // namespace spct::config
