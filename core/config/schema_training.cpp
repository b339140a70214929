// Fields of the sections that shape training: data, rollout, reward, grpo.
#include "core/config/schema_sections.h"

namespace spct::config {

void add_data_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::data, member); };
  b.add_choice("task", f(&DataSection::task),
               "Built-in task with verifiable answers, generated from the seed; empty when `path` is set.");
  b.add_string("path", f(&DataSection::path),
               "Prompt dataset file: Parquet when the name ends in `.parquet` (one row an item), else JSONL (one "
               "object a line), each item with `prompt` (or chat `messages`) and `answer` (docs/data.md).");
  b.add_bool("shuffle", f(&DataSection::shuffle), "Shuffle prompts each epoch (deterministically, from run.seed).");
  b.add_integer("max_prompt_tokens", f(&DataSection::max_prompt_tokens),
                "Prompts longer than this (in tokens) are rejected when the dataset is loaded.",
                {.min = 1, .max = 1048576});
  b.add_string("eval_path", f(&DataSection::eval_path),
               "Evaluation prompts, JSONL or Parquet (same fields as `path`); empty = no evaluation split for a "
               "file dataset.");
  b.add_integer("eval_size", f(&DataSection::eval_size),
                "Evaluation prompts of a built-in task, drawn from problems never used for training.",
                {.min = 1, .max = 1048576});
  b.add_integer("max_operand", f(&DataSection::max_operand),
                "Task `add`: operands are drawn from 0..max_operand (9 = one-digit sums, answers of 1-2 characters).",
                {.min = 1, .max = 1e9});
  b.add_integer(
      "max_length", f(&DataSection::max_length),
      "Tasks `reverse` and `count`: strings of 1..max_length letters drawn from a-e; `tally`: exactly max_length "
      "letters, the answer uniform in 0..max_length-1.",
      {.min = 1, .max = 64});
  b.add_choice("format", f(&DataSection::format),
               "What the lines of `path` hold: `prompts` (prompt + answer) or `preference` (RewardBench pairs or "
               "listwise items, turned into GRM critique prompts).");
  b.add_choice("preference_task", f(&DataSection::preference_task),
               "Task `preference`: the built-in task whose problems and verifier make the synthetic preference "
               "items (the correct answer among plausible wrong ones).");
  b.add_integer("preference_responses", f(&DataSection::preference_responses),
                "Task `preference`: responses per item (n); 1 = the single-response 0/1 variant.",
                {.min = 1, .max = 8});
  b.add_string("prompt_field", f(&DataSection::prompt_field),
               "Key (JSONL) or column (Parquet) of an item's prompt text in `path` and `eval_path`, e.g. "
               "`question`; errors name it.");
  b.add_string("messages_field", f(&DataSection::messages_field),
               "Key or column of an item's chat turns ([{role, content}], rendered with the model's chat template); "
               "an item has this or `prompt_field`, not both.");
  b.add_string("answer_field", f(&DataSection::answer_field),
               "Key or column of an item's reference answer (a string or a number), e.g. `solution`.");
  b.add_string("id_field", f(&DataSection::id_field),
               "Key or column of an item's optional id (a string or an integer; default line-N or row-N).");
  b.add_choice("answer_extraction", f(&DataSection::answer_extraction),
               "How the reference answer is cut out of `answer_field`: `none` = as it is; `gsm8k` = the text "
               "after the last `####`, thousands separators removed; `boxed` = the last \\boxed{...} (MATH "
               "solutions). An item the extraction finds nothing in stops loading, naming file, line and field.");
}

void add_rollout_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::rollout, member); };
  b.add_integer("group_size", f(&RolloutSection::group_size), "Completions sampled per prompt (G).",
                {.min = 1, .max = 65536});
  b.add_integer("prompts_per_step", f(&RolloutSection::prompts_per_step), "Prompts (groups) per training step.",
                {.min = 1, .max = 1048576});
  b.add_number("temperature", f(&RolloutSection::temperature), "Sampling temperature; 0 is greedy.",
               {.min = 0, .max = 100});
  b.add_integer("top_k", f(&RolloutSection::top_k), "Sample among the k most likely tokens; 0 = all.",
                {.min = 0, .max = 1e9});
  b.add_number("top_p", f(&RolloutSection::top_p), "Nucleus sampling mass; 1 = all.", {.min = 1e-6, .max = 1});
  b.add_integer("max_new_tokens", f(&RolloutSection::max_new_tokens), "Longest completion in tokens.",
                {.min = 1, .max = 1048576});
  b.add_string_list("stop", f(&RolloutSection::stop), "Strings that end a completion (kept in the text).");
  b.add_choice("mode", f(&RolloutSection::mode),
               "`sync`: every step's groups come from the current policy (on-policy). `async`: the groups of step "
               "t+1 are generated and scored while the learners update on step t, from the policy one update "
               "behind (staleness 1); the loss corrects with truncated importance weights (grpo.importance_cap). "
               "docs/learner.md.");
  b.add_bool("share_prefixes", f(&RolloutSection::share_prefixes),
             "Prefill each prompt once and fork its KV cache for the group_size samples (false: one prefill per "
             "sample; the samples are the same either way, this only costs time). docs/rollout.md.");
  b.add_integer("max_sequences", f(&RolloutSection::max_sequences),
                "Most sequences a rollout worker decodes together; waiting ones join as others finish "
                "(continuous batching). 0 = all of a step's completions at once. docs/rollout.md.",
                {.min = 0, .max = 1048576});
  b.add_integer("kv_budget_tokens", f(&RolloutSection::kv_budget_tokens),
                "KV-cache budget of a rollout worker in token slots summed over the sequences it decodes (memory "
                "= slots x layers x 2 x kv_heads x head_dim x dtype bytes). Sequences are admitted while it "
                "holds; when growing ones would exceed it, the newest is pre-empted and recomputed later, with "
                "the same samples. 0 = no limit. docs/rollout.md.",
                {.min = 0, .max = 1e12});
  b.add_integer("kv_block_tokens", f(&RolloutSection::kv_block_tokens),
                "The rollout KV cache grows in blocks of this many token slots (memory follows the tokens held, "
                "not max_new_tokens of every sequence).",
                {.min = 1, .max = 65536});
  b.add_bool("pack_weights", f(&RolloutSection::pack_weights),
             "CPU ranks that generate (rollout workers, a reward worker's GRM, a colocated run) keep a copy of each "
             "large weight in oneDNN's blocked layout for decode steps (the weights that read one input, q/k/v and "
             "gate/up, stacked into one copy each), made again after every weight update: "
             "faster decoding (docs/rollout.md) for one more copy of those weights, which --dry-run counts. false "
             "saves that memory.");
}

void add_reward_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::reward, member); };
  b.add_string_list(
      "functions", f(&RewardSection::functions),
      "Reward functions, summed with `weights`: registered rules (exact_match, numeric_match, math_match, regex, "
      "format, "
      "overlong, grm_correct, grm_parsed), `grm`, the generative reward model (docs/grm.md), and out-of-process "
      "rewards `NAME=command:PROGRAM ARGS...` or `NAME=http:URL`, or a scalar reward model `NAME=scalar:DIR` "
      "(docs/rewards.md).");
  b.add_number_list("weights", f(&RewardSection::weights),
                    "Weight of each function, in order; empty gives every function weight 1.",
                    {.min = -1e6, .max = 1e6});
  b.add_choice(
      "answer_format", f(&RewardSection::answer_format),
      "Where exact_match, numeric_match and math_match find the answer: `line` = the completion up to the first "
      "newline or stop string; `boxed` = the last \\boxed{...} (math style).");
  b.add_bool("case_sensitive", f(&RewardSection::case_sensitive), "exact_match compares letters case-sensitively.");
  b.add_bool("normalize_whitespace", f(&RewardSection::normalize_whitespace),
             "exact_match trims both answers and collapses runs of whitespace to one space.");
  b.add_number("numeric_rel_tolerance", f(&RewardSection::numeric_rel_tolerance),
               "numeric_match and math_match accept numbers with |a - b| <= max(abs, rel * max(|a|, |b|)).",
               {.min = 0, .max = 1});
  b.add_number("numeric_abs_tolerance", f(&RewardSection::numeric_abs_tolerance),
               "numeric_match's and math_match's absolute tolerance (see numeric_rel_tolerance).",
               {.min = 0, .max = 1e12});
  b.add_string("regex", f(&RewardSection::regex),
               "PCRE2 pattern for the `regex` function: 1 when it matches anywhere in the completion, else 0.");
  b.add_string("format_pattern", f(&RewardSection::format_pattern),
               "PCRE2 pattern for the `format` function: 1 when it matches the whole completion (`.` also matches "
               "newlines), e.g. \"<think>.*</think>.*\".");
  b.add_integer("overlong_buffer", f(&RewardSection::overlong_buffer),
                "DAPO soft overlong penalty's buffer L_cache (tokens) below L_max = rollout.max_new_tokens.",
                {.min = 1, .max = 1048576});
  b.add_bool("overlong_shaping", f(&RewardSection::overlong_shaping),
             "DAPO's soft overlong punishment as one more reward: adds `overlong` (0 up to max_new_tokens - "
             "overlong_buffer tokens, then down to -1 at max_new_tokens) with weight 1 unless reward.functions "
             "already lists it. grpo.preset dapo turns it on.");
}

void add_grpo_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::grpo, member); };
  b.add_number("lr", f(&GrpoSection::lr), "Peak learning rate of AdamW.", {.min = 0, .max = 10});
  b.add_number("weight_decay", f(&GrpoSection::weight_decay), "Decoupled weight decay of AdamW.",
               {.min = 0, .max = 10});
  b.add_number("beta", f(&GrpoSection::beta), "Coefficient of the KL penalty to the reference model; 0 = none.",
               {.min = 0, .max = 100});
  b.add_choice("kl_estimator", f(&GrpoSection::kl_estimator),
               "k1 = log(pi/ref), k2 = (log(pi/ref))^2 / 2, k3 = ref/pi - log(ref/pi) - 1 (GRPO's).");
  b.add_number("clip_low", f(&GrpoSection::clip_low), "Lower clip epsilon of the ratio: clip(rho, 1 - clip_low, ...).",
               {.min = 0, .max = 1});
  b.add_number("clip_high", f(&GrpoSection::clip_high),
               "Upper clip epsilon: clip(rho, ..., 1 + clip_high); DAPO's clip-higher uses 0.28.",
               {.min = 0, .max = 10});
  b.add_bool("std_normalize", f(&GrpoSection::std_normalize),
             "Divide advantages by the group's reward std (GRPO); false is Dr. GRPO.");
  b.add_choice("loss_aggregation", f(&GrpoSection::loss_aggregation),
               "seq_mean_token_mean (GRPO), token_mean (DAPO: all tokens of the batch), seq_mean_token_sum_norm "
               "(Dr. GRPO: token sums over max_new_tokens).");
  b.add_integer("epochs", f(&GrpoSection::epochs), "Passes over each step's batch (mu).", {.min = 1, .max = 1000});
  b.add_integer("minibatches", f(&GrpoSection::minibatches), "Optimizer steps per epoch; the batch is split evenly.",
                {.min = 1, .max = 1048576});
  b.add_integer("micro_batch_size", f(&GrpoSection::micro_batch_size),
                "Gradient accumulation: completions per forward/backward pass within a minibatch (bounds activation "
                "memory; the update is the same); 0 = the whole minibatch in one pass.",
                {.min = 0, .max = 1e9});
  b.add_integer("micro_batch_tokens", f(&GrpoSection::micro_batch_tokens),
                "Gradient accumulation by token budget: the minibatch's completions are sorted by length and packed "
                "greedily into forward/backward passes of at most this many padded tokens (rows x (longest prompt + "
                "longest completion)), so short completions share a pass and long ones are not padded against "
                "short ones; the update is the same. A completion longer than the budget gets a pass of its own. "
                "Combines with micro_batch_size (both limits hold). 0 = off (fixed passes of micro_batch_size).",
                {.min = 0, .max = 1e12});
  b.add_bool("packing", f(&GrpoSection::packing),
             "Sequence packing in the learner's passes: several (prompt + completion) sequences share one row of the "
             "model's input, each with position ids restarting at 0 and a block-diagonal causal attention mask (no "
             "token sees another sequence), so short sequences fill the room long ones leave instead of padding. "
             "A pass's rows are as wide as its longest sequence; with micro_batch_tokens a pass holds at most that "
             "many cells (rows x width), with micro_batch_size at most that many sequences. Log-probs, gradients "
             "and the update are those of the padded passes up to float rounding; learner/padding_share reports "
             "the packed rows' share. Works with every model family, LoRA and MoE.");
  b.add_bool(
      "share_prompts", f(&GrpoSection::share_prompts),
      "The learner's forward and backward passes (and the no-grad pi_old and reference passes) lay each prompt "
      "out once for the group_size completions that follow it: the completions attend to the one copy (a "
      "shared-prefix mask) with position ids continuing from the prompt's length, so a group costs prompt + "
      "its completions' tokens instead of group_size x (prompt + completion). Implies packed rows (grpo.packing; "
      "micro_batch_size and micro_batch_tokens bound the passes as they do there). Log-probs, gradients and the "
      "update are the unshared ones up to float rounding; with MoE the load-balancing loss and router metrics "
      "count each shared prompt once. docs/learner.md.");
  b.add_number("grad_clip", f(&GrpoSection::grad_clip), "Clip the global gradient norm to this; 0 = no clipping.",
               {.min = 0, .max = 1e6});
  b.add_integer("warmup_steps", f(&GrpoSection::warmup_steps), "Linear learning-rate warm-up steps.",
                {.min = 0, .max = 1e9});
  b.add_choice("kl_in", f(&GrpoSection::kl_in),
               "Where the KL penalty goes: `loss` (GRPO: beta * KL per token in the loss) or `reward` (PPO style: "
               "beta * the sequence's summed KL subtracted from its reward before advantages).");
  b.add_number("kl_target", f(&GrpoSection::kl_target),
               "Adaptive KL controller: the per-token KL to steer towards by scaling beta; 0 = fixed beta.",
               {.min = 0, .max = 100});
  b.add_integer("kl_horizon", f(&GrpoSection::kl_horizon),
                "Adaptive KL controller horizon in samples: beta moves by at most 20% per horizon.",
                {.min = 1, .max = 1e12});
  b.add_number("dual_clip", f(&GrpoSection::dual_clip),
               "Dual-clip constant c for negative advantages (bounds -rho * A by -c * A); 0 = off, else > 1 "
               "(3 is usual).",
               {.min = 0, .max = 100});
  b.add_number("importance_cap", f(&GrpoSection::importance_cap),
               "rollout.mode async: each token's policy term is weighted by min(pi_old / pi_behaviour, this cap), "
               "pi_behaviour being the one-step-stale policy that sampled it (truncated importance sampling); 0 = "
               "no correction.",
               {.min = 0, .max = 1e6});
  b.add_number(
      "entropy_coef", f(&GrpoSection::entropy_coef),
      "Entropy bonus coefficient: the loss subtracts this times the token entropy, aggregated like the policy loss "
      "(grpo.loss_aggregation, over the same kept tokens); 0 = off.",
      {.min = 0, .max = 10});
  b.add_number("advantage_eps", f(&GrpoSection::advantage_eps),
               "Added to the group's sample reward std before dividing (std_normalize).", {.min = 1e-12, .max = 1});
  b.add_bool("overlong_filter", f(&GrpoSection::overlong_filter),
             "DAPO overlong filtering: completions cut at max_new_tokens contribute nothing to the loss.");
  b.add_bool("dynamic_sampling", f(&GrpoSection::dynamic_sampling),
             "DAPO dynamic sampling: drop groups whose rewards are all equal and sample more prompts to refill.");
  b.add_integer("ref_reset_every", f(&GrpoSection::ref_reset_every),
                "Iterative GRPO: copy the policy into the reference model every this many steps; 0 = never.",
                {.min = 0, .max = 1e9});
  b.add_choice("lr_schedule", f(&GrpoSection::lr_schedule),
               "After warm-up: `constant` at lr, or `cosine` decay to lr * min_lr_ratio at the last step.");
  b.add_number("min_lr_ratio", f(&GrpoSection::min_lr_ratio), "Floor of the cosine schedule as a fraction of lr.",
               {.min = 0, .max = 1});
  b.add_number("adam_beta1", f(&GrpoSection::adam_beta1), "AdamW first-moment decay.", {.min = 0, .max = 0.999999});
  b.add_number("adam_beta2", f(&GrpoSection::adam_beta2), "AdamW second-moment decay.", {.min = 0, .max = 0.999999999});
  b.add_number("adam_eps", f(&GrpoSection::adam_eps), "AdamW denominator guard.", {.min = 1e-30, .max = 1});
}

void add_sft_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::sft, member); };
  b.add_integer("warmup_steps", f(&SftSection::warmup_steps), "Supervised steps before GRPO; 0 = no warm start.",
                {.min = 0, .max = 1e9});
  b.add_integer("batch_size", f(&SftSection::batch_size),
                "Examples per supervised step, over all learners (split evenly between them).", {.min = 1, .max = 1e7});
  b.add_number("lr", f(&SftSection::lr), "Learning rate of the warm start (AdamW, constant).", {.min = 0, .max = 10});
}

}  // namespace spct::config
