#include "core/config/checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/config/remote_grm_budget.h"

namespace spct::config {

int64_t required_world_size(const Config& config) {
  const LayoutSection& layout = config.layout;
  if (layout.colocate) return 1;
  return 1 + layout.rollout_workers + layout.reward_workers + layout.learners;
}

std::vector<CheckFailure> check_consistency(const Config& c) {
  std::vector<CheckFailure> failures;
  const auto fail = [&](std::string message, std::vector<std::string> keys) {
    failures.push_back(CheckFailure{std::move(message), std::move(keys)});
  };
  const auto str = [](int64_t v) { return std::to_string(v); };

  // Model shape.
  if (c.model.path.empty()) {
    if (c.model.num_heads % c.model.num_kv_heads != 0) {
      fail("model.num_kv_heads (" + str(c.model.num_kv_heads) + ") must divide model.num_heads (" +
               str(c.model.num_heads) + ")",
           {"model.num_kv_heads", "model.num_heads"});
    }
    if (c.model.hidden_size % c.model.num_heads != 0 || (c.model.hidden_size / c.model.num_heads) % 2 != 0) {
      fail("model.hidden_size (" + str(c.model.hidden_size) + ") must be model.num_heads (" + str(c.model.num_heads) +
               ") times an even head size (rotary embeddings rotate pairs)",
           {"model.hidden_size", "model.num_heads"});
    }
  }
  // LoRA: the reference model of the KL term is the frozen base, and dropout masks are drawn per pass.
  if (c.model.lora.rank > 0) {
    if (c.model.lora.target_modules.empty()) {
      fail("model.lora.target_modules is empty: name the projections to adapt (e.g. [q_proj, v_proj])",
           {"model.lora.target_modules", "model.lora.rank"});
    }
    if (c.grpo.ref_reset_every > 0) {
      fail(
          "grpo.ref_reset_every does not combine with model.lora.rank > 0: with LoRA the KL reference is the "
          "frozen base model",
          {"grpo.ref_reset_every", "model.lora.rank"});
    }
    if (c.model.lora.dropout > 0 && c.model.activation_checkpointing) {
      fail(
          "model.lora.dropout > 0 does not combine with model.activation_checkpointing: the recomputed forward "
          "pass would draw other dropout masks than the first",
          {"model.lora.dropout", "model.activation_checkpointing"});
    }
  }
  // Turn-taking is between the roles of one process; ranks of an MPI job each hold one role's memory.
  if (c.layout.take_turns == TurnTaking::kOn && !c.layout.colocate) {
    fail(
        "layout.take_turns: on needs layout.colocate: true (the rollout engine and the learner take turns on "
        "memory only within one process)",
        {"layout.take_turns", "layout.colocate"});
  }
  // A model.path model brings its own context (config.json): orchestrator/train/policy_setup.h checks that one.
  if (c.model.path.empty() && c.data.max_prompt_tokens + c.rollout.max_new_tokens > c.model.max_position) {
    fail("data.max_prompt_tokens + rollout.max_new_tokens (" + str(c.data.max_prompt_tokens) + " + " +
             str(c.rollout.max_new_tokens) + ") exceeds model.max_position (" + str(c.model.max_position) + ")",
         {"data.max_prompt_tokens", "rollout.max_new_tokens", "model.max_position"});
  }

  // Data source: exactly one of a built-in task and a file.
  if ((c.data.task == DataTask::kNone) == c.data.path.empty()) {
    fail(c.data.task == DataTask::kNone
             ? "set data.task (a built-in task) or data.path (a JSONL or Parquet file)"
             : "data.task and data.path are both set: choose one (set data.task to \"\" for a file)",
         {"data.task", "data.path"});
  }
  // Field names of a prompt file: each part of an item has its own key, else one would shadow another.
  const std::vector<std::pair<std::string, std::string>> fields = {{"data.prompt_field", c.data.prompt_field},
                                                                   {"data.messages_field", c.data.messages_field},
                                                                   {"data.answer_field", c.data.answer_field},
                                                                   {"data.id_field", c.data.id_field}};
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].second.empty()) fail(fields[i].first + " is empty: name the key or column", {fields[i].first});
    for (size_t j = 0; j < i; ++j) {
      if (!fields[i].second.empty() && fields[i].second == fields[j].second) {
        fail(fields[j].first + " and " + fields[i].first + " are both \"" + fields[i].second +
                 "\": an item's parts need different keys",
             {fields[j].first, fields[i].first});
      }
    }
  }
  if (c.tokenizer.kind == TokenizerKind::kHf && c.tokenizer.path.empty() && c.model.path.empty()) {
    fail("tokenizer.kind is hf but neither tokenizer.path nor model.path says where tokenizer.json is",
         {"tokenizer.kind", "tokenizer.path", "model.path"});
  }

  // Batch shapes: every learner gets whole groups in every minibatch, so group statistics stay on one rank.
  const int64_t groups = c.rollout.prompts_per_step;
  const int64_t shards = c.layout.colocate ? c.grpo.minibatches : c.layout.learners * c.grpo.minibatches;
  if (groups % shards != 0) {
    fail("rollout.prompts_per_step (" + str(groups) + ") must be divisible by layout.learners x grpo.minibatches (" +
             str(shards) + ") so that every learner minibatch holds whole groups",
         {"rollout.prompts_per_step", "layout.learners", "grpo.minibatches"});
  }
  if (c.rollout.group_size < 2 && c.grpo.std_normalize) {
    fail("rollout.group_size is 1: group-relative advantages need at least 2 completions per prompt",
         {"rollout.group_size", "grpo.std_normalize"});
  }

  // Rewards.
  if (!c.reward.weights.empty() && c.reward.weights.size() != c.reward.functions.size()) {
    fail("reward.weights has " + str(static_cast<int64_t>(c.reward.weights.size())) +
             " entries but reward.functions has " + str(static_cast<int64_t>(c.reward.functions.size())),
         {"reward.weights", "reward.functions"});
  }
  if (c.reward.functions.empty()) fail("reward.functions is empty: name at least one reward", {"reward.functions"});

  // Generative reward model.
  if (c.grm.principles.empty()) fail("grm.principles is empty: the GRM prompt needs at least one", {"grm.principles"});
  if (!c.grm.principle_weights.empty() && c.grm.principle_weights.size() != c.grm.principles.size()) {
    fail("grm.principle_weights has " + str(static_cast<int64_t>(c.grm.principle_weights.size())) +
             " entries but grm.principles has " + str(static_cast<int64_t>(c.grm.principles.size())),
         {"grm.principle_weights", "grm.principles"});
  }
  double grm_weight_sum = 0;
  for (const double w : c.grm.principle_weights) grm_weight_sum += w;
  if (!c.grm.principle_weights.empty() && grm_weight_sum <= 0) {
    fail("grm.principle_weights are all 0: give at least one principle a positive weight", {"grm.principle_weights"});
  }
  if (c.grm.meta_samples > c.grm.samples) {
    fail("grm.meta_samples (" + str(c.grm.meta_samples) + ") exceeds grm.samples (" + str(c.grm.samples) + ")",
         {"grm.meta_samples", "grm.samples"});
  }
  if (c.grm.score_min >= c.grm.score_max) {
    fail("grm.score_min (" + str(c.grm.score_min) + ") must be below grm.score_max (" + str(c.grm.score_max) + ")",
         {"grm.score_min", "grm.score_max"});
  }

  // The GRM as a reward function (workers/reward/reward_worker.h states the two combination rules).
  const bool grm_reward =
      std::find(c.reward.functions.begin(), c.reward.functions.end(), "grm") != c.reward.functions.end();
  if (grm_reward && c.grm.rule_weight > 0 && !c.reward.weights.empty()) {
    fail("grm.rule_weight and reward.weights both weigh the grm reward: set one of them",
         {"grm.rule_weight", "reward.weights"});
  }
  if (grm_reward && c.grm.rule_weight > 0 && c.reward.functions.size() == 1) {
    fail("grm.rule_weight mixes the GRM with rule rewards, but reward.functions lists only grm",
         {"grm.rule_weight", "reward.functions"});
  }
  if (grm_reward && c.grm.backend == GrmBackend::kLocal && c.grm.model_path.empty()) {
    fail("reward.functions lists grm (grm.backend local) but grm.model_path is empty: name the GRM's directory",
         {"grm.model_path", "reward.functions"});
  }
  // A remote GRM that stops answering must fail (or fall back) within the step deadline, not outlast it.
  if (grm_reward && c.grm.backend == GrmBackend::kRemote && remote_hang_bound_s(c.grm) >= c.timeouts.step_s) {
    const GrmSection& g = c.grm;
    const bool breaker_bound = g.remote_breaker_failures > g.remote_retries + 1;
    const int64_t attempts = remote_hang_attempts(g);
    fail(fmt::format("a remote GRM that stops answering can hold a reward worker for {:g} s ({} attempts of "
                     "grm.remote_timeout_s = {:g} s, {}, plus up to {:g} s of backoff), which does not fit "
                     "timeouts.step_s = {:g} s: the job would end in a stall instead of grm.remote_fallback. Lower "
                     "grm.remote_timeout_s or {}, or raise timeouts.step_s",
                     remote_hang_bound_s(g), attempts, g.remote_timeout_s,
                     breaker_bound ? "grm.remote_breaker_failures" : "grm.remote_retries + 1",
                     remote_hang_bound_s(g) - static_cast<double>(attempts) * g.remote_timeout_s, c.timeouts.step_s,
                     breaker_bound ? "grm.remote_breaker_failures" : "grm.remote_retries"),
         {"grm.remote_timeout_s", breaker_bound ? "grm.remote_breaker_failures" : "grm.remote_retries",
          "timeouts.step_s"});
  }
  if (c.eval.k.empty()) fail("eval.k is empty: list at least one k (e.g. [1, 4, 8])", {"eval.k"});
  for (const double k : c.eval.k) {
    if (k != static_cast<double>(static_cast<int64_t>(k))) {
      fail("eval.k must hold whole numbers, not " + std::to_string(k), {"eval.k"});
    }
  }

  if (c.sft.warmup_steps > 0 && c.sft.batch_size % (c.layout.colocate ? 1 : c.layout.learners) != 0) {
    fail("sft.batch_size (" + str(c.sft.batch_size) + ") must be divisible by layout.learners (" +
             str(c.layout.learners) + ")",
         {"sft.batch_size", "layout.learners"});
  }

  // GRM training (orchestrator/jobs/grm_jobs.h, and GRPO on preference prompts with grm_correct).
  const bool preference_data =
      c.data.task == DataTask::kPreference || (!c.data.path.empty() && c.data.format == DataFormat::kPreference);
  const bool grm_job = c.run.job == Job::kGrmRft || c.run.job == Job::kMetaRm || c.run.job == Job::kScalarRm;
  if (grm_job && !preference_data) {
    fail("run.job " + to_string(c.run.job) +
             " trains on preference data: set data.task preference, or data.path with "
             "data.format preference",
         {"run.job", "data.task", "data.format"});
  }
  if (c.run.job == Job::kMetaRm && c.grm.model_path.empty()) {
    fail("run.job meta_rm rates the critiques of the GRM at grm.model_path, which is empty", {"grm.model_path"});
  }
  // The jobs that sample critiques (a scalar RM writes none).
  const bool samples_critiques = c.run.job == Job::kGrmRft || c.run.job == Job::kMetaRm;
  if (samples_critiques && c.data.max_prompt_tokens + c.grm.max_new_tokens > c.model.max_position) {
    fail("data.max_prompt_tokens + grm.max_new_tokens (" + str(c.data.max_prompt_tokens) + " + " +
             str(c.grm.max_new_tokens) + ") exceeds model.max_position (" + str(c.model.max_position) + ")",
         {"data.max_prompt_tokens", "grm.max_new_tokens", "model.max_position"});
  }
  const bool overlong = c.reward.overlong_shaping || std::find(c.reward.functions.begin(), c.reward.functions.end(),
                                                               "overlong") != c.reward.functions.end();
  if (overlong && c.reward.overlong_buffer > c.rollout.max_new_tokens) {
    fail("reward.overlong_buffer (" + str(c.reward.overlong_buffer) + ") exceeds rollout.max_new_tokens (" +
             str(c.rollout.max_new_tokens) + "): the overlong penalty's ramp must fit inside the longest completion",
         {"reward.overlong_buffer", "rollout.max_new_tokens",
          c.reward.overlong_shaping ? "reward.overlong_shaping" : "reward.functions"});
  }
  for (const char* rule : {"grm_correct", "grm_parsed"}) {
    if (std::find(c.reward.functions.begin(), c.reward.functions.end(), rule) != c.reward.functions.end() &&
        !preference_data) {
      fail(std::string("reward.functions lists ") + rule +
               ", which needs GRM critique prompts: data.task preference or data.format preference",
           {"reward.functions", "data.task"});
    }
  }

  // Optimisation.
  if (c.run.steps == 0 && (c.run.job != Job::kGrpo || c.sft.warmup_steps == 0)) {
    fail("run.steps = 0 only exports a warm-started policy: it needs run.job grpo and sft.warmup_steps > 0",
         {"run.steps", "sft.warmup_steps", "run.job"});
  }
  if (c.grpo.warmup_steps > c.run.steps) {
    fail("grpo.warmup_steps (" + str(c.grpo.warmup_steps) +
             ") is longer than the run (run.steps = " + str(c.run.steps) + ")",
         {"grpo.warmup_steps", "run.steps"});
  }
  if (c.timeouts.heartbeat_s >= c.timeouts.step_s) {
    fail("timeouts.heartbeat_s must be shorter than timeouts.step_s", {"timeouts.heartbeat_s", "timeouts.step_s"});
  }
  return failures;
}

}  // namespace spct::config
