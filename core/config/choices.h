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

// layout.take_turns: whether a colocated job's rollout engine and learner take turns on device memory
// (orchestrator/train/turn_taking.h); kAuto is on when the colocated job runs on a CUDA device.
enum class TurnTaking { kAuto, kOn, kOff };

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

// run.log_level: the least severe log message printed (core/log.h).
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// The built-in chat templates (models/tokenizer/chat_template.h); tokenizer.chat_template_fallback.
enum class ChatTemplate { kNone, kChatml, kLlama3 };

// tokenizer.chat_template: a built-in template, the model's own Jinja template (kModel), or the model's when it
// has one and else tokenizer.chat_template_fallback (kAuto).
enum class ChatTemplateChoice { kNone, kChatml, kLlama3, kModel, kAuto };

// The built-in template `choice` names, or nullopt for kModel and kAuto.
constexpr std::optional<ChatTemplate> builtin_template(ChatTemplateChoice choice) {
  switch (choice) {
    case ChatTemplateChoice::kNone: return ChatTemplate::kNone;
    case ChatTemplateChoice::kChatml: return ChatTemplate::kChatml;
    case ChatTemplateChoice::kLlama3: return ChatTemplate::kLlama3;
    case ChatTemplateChoice::kModel:
    case ChatTemplateChoice::kAuto: return std::nullopt;
  }
  return std::nullopt;
}

// The built-in tasks with verifiable answers (orchestrator/data/synthetic_task.h); data.preference_task.
enum class TaskKind { kAdd, kReverse, kCount, kTally };

// data.task: a built-in task, synthetic preference items made from data.preference_task (kPreference), or none
// (spelled "") when data.path names the prompts.
enum class DataTask { kNone, kAdd, kReverse, kCount, kTally, kPreference };

// The built-in task `task` generates prompts of, or nullopt for kNone and kPreference.
constexpr std::optional<TaskKind> synthetic_task(DataTask task) {
  switch (task) {
    case DataTask::kAdd: return TaskKind::kAdd;
    case DataTask::kReverse: return TaskKind::kReverse;
    case DataTask::kCount: return TaskKind::kCount;
    case DataTask::kTally: return TaskKind::kTally;
    case DataTask::kNone:
    case DataTask::kPreference: return std::nullopt;
  }
  return std::nullopt;
}

// data.answer_extraction: how the reference answer is cut out of a dataset's answer field
// (orchestrator/data/reference_answer.h).
enum class ReferenceExtraction { kNone, kGsm8k, kBoxed };

// reward.answer_format: where a rule reward finds the answer in a completion (workers/reward/rules/
// answer_extraction.h).
enum class AnswerFormat { kLine, kBoxed };

// grm.parse_fallback: what an unparsable critique does in a vote (workers/reward/grm/voting.h).
enum class ParseFallback { kSkip, kMiddle, kFail };

// observe.progress: kAuto is kBar when stderr is a terminal, else kLines (orchestrator/observe/progress.h).
enum class ProgressSetting { kAuto, kBar, kLines };

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
struct ChoiceTable<TurnTaking> {
  static constexpr std::array<std::pair<TurnTaking, std::string_view>, 3> kNames = {
      {{TurnTaking::kAuto, "auto"}, {TurnTaking::kOn, "on"}, {TurnTaking::kOff, "off"}}};
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

template <>
struct ChoiceTable<LogLevel> {
  static constexpr std::array<std::pair<LogLevel, std::string_view>, 5> kNames = {{{LogLevel::kTrace, "trace"},
                                                                                   {LogLevel::kDebug, "debug"},
                                                                                   {LogLevel::kInfo, "info"},
                                                                                   {LogLevel::kWarn, "warn"},
                                                                                   {LogLevel::kError, "error"}}};
};

template <>
struct ChoiceTable<ChatTemplate> {
  static constexpr std::array<std::pair<ChatTemplate, std::string_view>, 3> kNames = {
      {{ChatTemplate::kNone, "none"}, {ChatTemplate::kChatml, "chatml"}, {ChatTemplate::kLlama3, "llama3"}}};
};

template <>
struct ChoiceTable<ChatTemplateChoice> {
  static constexpr std::array<std::pair<ChatTemplateChoice, std::string_view>, 5> kNames = {
      {{ChatTemplateChoice::kNone, "none"},
       {ChatTemplateChoice::kChatml, "chatml"},
       {ChatTemplateChoice::kLlama3, "llama3"},
       {ChatTemplateChoice::kModel, "model"},
       {ChatTemplateChoice::kAuto, "auto"}}};
};

template <>
struct ChoiceTable<TaskKind> {
  static constexpr std::array<std::pair<TaskKind, std::string_view>, 4> kNames = {{{TaskKind::kAdd, "add"},
                                                                                   {TaskKind::kReverse, "reverse"},
                                                                                   {TaskKind::kCount, "count"},
                                                                                   {TaskKind::kTally, "tally"}}};
};

template <>
struct ChoiceTable<DataTask> {
  static constexpr std::array<std::pair<DataTask, std::string_view>, 6> kNames = {
      {{DataTask::kNone, ""},
       {DataTask::kAdd, "add"},
       {DataTask::kReverse, "reverse"},
       {DataTask::kCount, "count"},
       {DataTask::kTally, "tally"},
       {DataTask::kPreference, "preference"}}};
};

template <>
struct ChoiceTable<ReferenceExtraction> {
  static constexpr std::array<std::pair<ReferenceExtraction, std::string_view>, 3> kNames = {
      {{ReferenceExtraction::kNone, "none"},
       {ReferenceExtraction::kGsm8k, "gsm8k"},
       {ReferenceExtraction::kBoxed, "boxed"}}};
};

template <>
struct ChoiceTable<AnswerFormat> {
  static constexpr std::array<std::pair<AnswerFormat, std::string_view>, 2> kNames = {
      {{AnswerFormat::kLine, "line"}, {AnswerFormat::kBoxed, "boxed"}}};
};

template <>
struct ChoiceTable<ParseFallback> {
  static constexpr std::array<std::pair<ParseFallback, std::string_view>, 3> kNames = {
      {{ParseFallback::kSkip, "skip"}, {ParseFallback::kMiddle, "middle"}, {ParseFallback::kFail, "fail"}}};
};

template <>
struct ChoiceTable<ProgressSetting> {
  static constexpr std::array<std::pair<ProgressSetting, std::string_view>, 3> kNames = {
      {{ProgressSetting::kAuto, "auto"}, {ProgressSetting::kBar, "bar"}, {ProgressSetting::kLines, "lines"}}};
};

}  // namespace spct::config
