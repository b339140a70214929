// Fields of the grm section: the generative reward model's prompt, sampling, voting and reward combination.
#include "core/config/schema_sections.h"

namespace spct::config {

void add_grm_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::grm, member); };
  b.add_string_list("principles", f(&GrmSection::principles),
                    "Evaluation criteria listed, numbered, in the GRM prompt; write each as \"Name: what it asks\".");
  b.add_number_list("principle_weights", f(&GrmSection::principle_weights),
                    "Weight of each principle, in order, shown as a percentage of their sum; empty = equal weights.",
                    {.min = 0, .max = 1e6});
  b.add_integer("samples", f(&GrmSection::samples),
                "Critiques sampled per group (k of voting@k); each sees the responses in its own shuffled order.",
                {.min = 1, .max = 1024});
  b.add_integer("meta_samples", f(&GrmSection::meta_samples),
                "With a meta RM, vote only over the k_meta critiques it rates highest; 0 = samples / 2 (at least 1).",
                {.min = 0, .max = 1024});
  b.add_number("temperature", f(&GrmSection::temperature), "Sampling temperature of the critiques (paper: 0.5).",
               {.min = 0, .max = 100});
  b.add_integer("max_responses_per_pass", f(&GrmSection::max_responses_per_pass),
                "Most responses one critique scores; a larger group is split into balanced chunks, each voted on "
                "separately with the same number of critiques.",
                {.min = 2, .max = 1024});
  b.add_choice("parse_fallback", f(&GrmSection::parse_fallback),
               "A critique whose scores cannot be parsed: skip = vote without it (totals rescaled to `samples`), "
               "middle = it scores every response (score_min + score_max) / 2, fail = the group gets no GRM reward.");
  b.add_integer("score_min", f(&GrmSection::score_min), "Lowest score a critique may give (paper: 1).",
                {.min = 0, .max = 1000});
  b.add_integer("score_max", f(&GrmSection::score_max), "Highest score a critique may give (paper: 10).",
                {.min = 1, .max = 1000});
  b.add_number("rule_weight", f(&GrmSection::rule_weight),
               "Reward = (1 - rule_weight) x GRM score scaled to [0, 1] + rule_weight x rule-based reward.",
               {.min = 0, .max = 1});
  b.add_string("model_path", f(&GrmSection::model_path),
               "Hugging Face directory of the GRM that writes the critiques (the `grm` reward function and "
               "`spct eval`), e.g. the `model/` folder a grm_rft or GRM RL run exports.");
  b.add_string("meta_model_path", f(&GrmSection::meta_model_path),
               "Directory of the meta RM exported by a meta_rm run; empty = plain voting@k without a meta RM.");
  b.add_choice("backend", f(&GrmSection::backend),
               "Who writes the critiques: local = the GRM at model_path, loaded in the reward worker; remote = an "
               "OpenAI-compatible completions server.");
  b.add_string("remote_url", f(&GrmSection::remote_url),
               "grm.backend remote: the server's base URL, http://host:port[/prefix]; requests go to "
               "<remote_url>/v1/completions (vLLM, SGLang, llama.cpp server, `spct serve`).");
  b.add_string("remote_model", f(&GrmSection::remote_model),
               "grm.backend remote: the \"model\" field of each request, the name the server knows the GRM by.");
  b.add_number("remote_timeout_s", f(&GrmSection::remote_timeout_s),
               "grm.backend remote: deadline of one request (connect, send, whole response), in seconds.",
               {.min = 0.001, .max = 86400});
  b.add_integer("remote_retries", f(&GrmSection::remote_retries),
                "grm.backend remote: further attempts after a 5xx, a timeout or a connection error (exponential "
                "backoff with jitter); 4xx answers are never retried.",
                {.min = 0, .max = 100});
  b.add_integer("remote_concurrency", f(&GrmSection::remote_concurrency),
                "grm.backend remote: requests in flight at once per reward worker.", {.min = 1, .max = 1024});
  b.add_string("remote_api_key_env", f(&GrmSection::remote_api_key_env),
               "grm.backend remote: name of the environment variable holding the bearer token (never the token "
               "itself); empty = no Authorization header.");
  b.add_choice("remote_fallback", f(&GrmSection::remote_fallback),
               "grm.backend remote: when a request still fails after its retries: fail = the step fails with an "
               "error naming the URL; unparsable = its critiques carry no score, so grm.parse_fallback applies.");
  b.add_integer("remote_breaker_failures", f(&GrmSection::remote_breaker_failures),
                "grm.backend remote: after this many consecutive failed requests (timeouts, connection errors, "
                "5xx) the circuit breaker opens: requests fail at once, without being sent, so remote_fallback "
                "applies within the step; 0 = no breaker.",
                {.min = 0, .max = 1000});
  b.add_number("remote_breaker_cooldown_s", f(&GrmSection::remote_breaker_cooldown_s),
               "grm.backend remote: seconds an open circuit breaker fails requests fast; then one request probes "
               "the server: success closes the breaker, failure opens it for another cool-down.",
               {.min = 0.001, .max = 86400});
  b.add_choice("template", f(&GrmSection::prompt_template),
               "GRM prompt: `full` = the paper's template (principles, score bands, output format); `compact` = the "
               "same parts in a few characters for tiny models (\"Q:3+4= R1:7 R2:8 S:\" -> \"\\boxed{10,1}\"); "
               "`compact_principles` = compact, with a critique that first states the principle it judges by, "
               "what a right answer is (\"P:7 \\boxed{10,1}\"): the SPCT ablation with vs without generated "
               "principles (configs/ablations.yaml).");
  b.add_integer("max_new_tokens", f(&GrmSection::max_new_tokens), "Longest critique a local GRM writes, in tokens.",
                {.min = 1, .max = 1048576});
  b.add_string_list("stop", f(&GrmSection::stop),
                    "Strings that end a local GRM's critique (kept in it), besides the end-of-sequence token.");
  b.add_integer("rft_rounds", f(&GrmSection::rft_rounds),
                "run.job grm_rft: rounds of sample -> filter -> fine-tune (rejective fine-tuning).",
                {.min = 1, .max = 100000});
  b.add_integer("rft_items", f(&GrmSection::rft_items),
                "run.job grm_rft: preference items sampled per round (fresh items each round).",
                {.min = 1, .max = 1048576});
  b.add_integer("rft_samples", f(&GrmSection::rft_samples),
                "run.job grm_rft: critiques sampled per item (N; paper: 3); items with all N correct are dropped.",
                {.min = 1, .max = 1024});
  b.add_integer("rft_sft_steps", f(&GrmSection::rft_sft_steps),
                "run.job grm_rft: fine-tuning steps per round on the kept critiques (sft.batch_size, sft.lr).",
                {.min = 1, .max = 1048576});
  b.add_bool("rft_hinted", f(&GrmSection::rft_hinted),
             "run.job grm_rft: hinted sampling for items with no correct critique (the prompt names the best "
             "response; the kept critique is trained without the hint).");
  b.add_integer("meta_items", f(&GrmSection::meta_items),
                "run.job meta_rm: training items; grm.samples critiques are sampled and labelled for each, and "
                "the meta RM trains on the critiques of the items whose critiques are not all right or all wrong.",
                {.min = 1, .max = 1048576});
  b.add_integer("meta_train_steps", f(&GrmSection::meta_train_steps),
                "run.job meta_rm: optimizer steps of binary cross-entropy (sft.batch_size critiques each).",
                {.min = 1, .max = 1048576});
  b.add_number("meta_lr", f(&GrmSection::meta_lr), "run.job meta_rm: AdamW learning rate of the meta RM.",
               {.min = 0, .max = 10});
}

void add_eval_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::eval, member); };
  b.add_choice("target", f(&EvalSection::target),
               "What to evaluate: grm = the GRM at grm.model_path on preference data; policy = the model at "
               "model.path on the task's eval split; auto = grm for preference data, else policy.");
  b.add_number_list("k", f(&EvalSection::k),
                    "GRM evaluation: every k of voting@k and MetaRM@k to report (whole numbers); all are computed "
                    "from one set of max(k) critiques per item. Policy evaluation: pass@k for every k <= "
                    "eval.samples, by the unbiased estimator over the eval.samples completions of each item.",
                    {.min = 1, .max = 1024});
  b.add_integer("max_items", f(&EvalSection::max_items),
                "Evaluate at most this many items of a JSONL file (the first ones); 0 = all. Built-in tasks "
                "evaluate data.eval_size items.",
                {.min = 0, .max = 100000000});
  b.add_integer("samples", f(&EvalSection::samples),
                "Policy evaluation: besides the greedy completion, sample this many per item (seeded by run.seed "
                "and the item) and report their mean verifier accuracy (mean@n) and pass@k (eval.k); 0 = greedy only.",
                {.min = 0, .max = 4096});
  b.add_number("temperature", f(&EvalSection::temperature),
               "Policy evaluation: sampling temperature of the eval.samples completions (rollout.top_k and "
               "rollout.top_p apply as in training).",
               {.min = 1e-3, .max = 100});
}

}  // namespace spct::config
