#include "core/config/schema_sections.h"

namespace spct::config {

const std::vector<SectionSchema>& section_schemas() {
  static const std::vector<SectionSchema> sections = {
      {"run", "What the run is called, where it writes, how long it lasts and how it seeds its random numbers.",
       add_run_fields},
      {"layout",
       "How many MPI ranks play each role. The job needs 1 + rollout_workers + reward_workers + learners ranks "
       "(rank 0 is the orchestrator), or a single rank when `colocate` is true.",
       add_layout_fields},
      {"timeouts",
       "Deadlines for every wait on another rank. A rank that misses one is named (rank, role, phase) and the "
       "whole job is aborted with exit code 4 so that a scheduler can requeue it.",
       add_timeouts_fields},
      {"distributed",
       "How tensors travel between ranks: learners average gradients in buckets of `bucket_mb`, and learner 0 "
       "sends new weights to the rollout workers in buckets of `weight_bucket_mb`.",
       add_distributed_fields},
      {"model",
       "The policy model: a Hugging Face model directory (`path`), or a new randomly initialised decoder of the "
       "shape given here.",
       add_model_fields},
      {"tokenizer", "How text becomes token ids.", add_tokenizer_fields},
      {"data", "Where prompts come from: a built-in task with verifiable answers, or a JSONL file.", add_data_fields},
      {"rollout", "How rollout workers sample a group of completions for each prompt.", add_rollout_fields},
      {"reward", "How reward workers score completions: rule-based functions combined with weights.",
       add_reward_fields},
      {"grm",
       "The generative reward model (GRM): the principles its prompt lists, how many critiques are sampled and "
       "voted on per group, and how its scores combine with the rule-based rewards.",
       add_grm_fields},
      {"eval",
       "What `spct eval` measures: a GRM's preference accuracy (greedy, voting@k, MetaRM@k) or a policy's greedy "
       "verifier accuracy on a task's eval split (docs/grm.md).",
       add_eval_fields},
      {"grpo",
       "The learner's GRPO update (see docs/algorithms in ../shared/reference for the formulas). `grpo.preset: "
       "grpo|dr_grpo|dapo|none` sets a paper's combination of these keys (GRPO; Dr. GRPO: no std "
       "normalisation, `seq_mean_token_sum_norm`; DAPO: `beta: 0`, `token_mean`, clip 0.2/0.28, dynamic "
       "sampling), applied before any file or override so each key stays settable; see docs/data.md.",
       add_grpo_fields},
      {"sft",
       "Supervised warm start: before the first GRPO step the learners fine-tune the policy on the training "
       "prompts' reference answers (answer + end-of-sequence), so that sampling starts where rewards are not all "
       "zero. The reference model of the KL penalty is the warm-started policy.",
       add_sft_fields},
      {"checkpoint", "When checkpoints are written and how many are kept.", add_checkpoint_fields},
      {"observe",
       "What the orchestrator shows while a run is going: a progress bar or periodic progress lines, TensorBoard "
       "event files beside metrics.jsonl, and an HTTP status endpoint (docs/observability.md).",
       add_observe_fields},
      {"slurm",
       "Defaults for `spct submit`: the sbatch options of the SLURM job and what runs before `srun` "
       "(docs/slurm.md). The command line's --partition, --time, ... override them; `spct train` ignores them.",
       add_slurm_fields},
  };
  return sections;
}

}  // namespace spct::config
