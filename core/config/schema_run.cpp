// Fields of the job-level sections: run, layout, timeouts, checkpoint, slurm.
#include "core/config/schema_sections.h"

namespace spct::config {

void add_run_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::run, member); };
  b.add_string("name", f(&RunSection::name), "Name of the run; its directory is `<dir>/<name>`.");
  b.add_string("dir", f(&RunSection::dir), "Directory that holds run directories.");
  b.add_integer("seed", f(&RunSection::seed), "Seed for every random choice of the run (data order, sampling, init).",
                {.min = 0, .max = 9007199254740992.0});
  b.add_integer("steps", f(&RunSection::steps),
                "Number of training steps (policy updates); 0 with sft.warmup_steps > 0 exports the warm-started "
                "policy to the run's model/ and stops.",
                {.min = 0, .max = 1e9});
  b.add_integer("threads", f(&RunSection::threads),
                "Intra-op threads per rank; 0 divides the node's cores evenly among the ranks on it (1 for a new "
                "policy narrower than 256, whose ops are too small to split).",
                {.min = 0, .max = 1024});
  b.add_choice("log_level", f(&RunSection::log_level), "Least severe log message printed.");
  b.add_bool("verify_learner_sync", f(&RunSection::verify_learner_sync),
             "After every step, compare a SHA-256 of every learner's weights and stop the run if they differ "
             "(costs a pass over the weights; for tests and debugging).");
  b.add_choice("job", f(&RunSection::job),
               "What `spct train` runs: grpo = GRPO on the policy (a GRM too, on preference prompts with the "
               "grm_correct reward); grm_rft = rejective fine-tuning of a GRM; meta_rm = training a meta RM on the "
               "critiques of the GRM at grm.model_path; scalar_rm = training a scalar reward model on the same "
               "preference items (the baseline a GRM is compared with as a policy's reward: reward.functions "
               "NAME=scalar:DIR). grm_rft, meta_rm and scalar_rm run in one process.");
}

void add_layout_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::layout, member); };
  b.add_integer("rollout_workers", f(&LayoutSection::rollout_workers), "Ranks that generate completions.",
                {.min = 1, .max = 65536});
  b.add_integer("reward_workers", f(&LayoutSection::reward_workers), "Ranks that score completions.",
                {.min = 1, .max = 65536});
  b.add_integer("learners", f(&LayoutSection::learners),
                "Data-parallel learner ranks; gradients are averaged across them.", {.min = 1, .max = 65536});
  b.add_bool("colocate", f(&LayoutSection::colocate),
             "Run every role on one rank (one process, no MPI traffic); for tiny runs and debugging.");
  b.add_choice("take_turns", f(&LayoutSection::take_turns),
               "With colocate: the rollout engine and the learner take turns on device memory. While the policy "
               "generates, the learner's AdamW moments and float32 master weights wait in pinned host memory and "
               "its gradients are released; while it learns, the engine holds no KV cache; at each turn the "
               "allocator's free blocks go back to the device. auto: on when the colocated job runs on a CUDA "
               "device; on: also on the CPU (a copy to separate host tensors and back, for tests); off: "
               "everything stays resident. The results are the same bit for bit either way.");
}

void add_timeouts_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::timeouts, member); };
  b.add_number("startup_s", f(&TimeoutsSection::startup_s),
               "Seconds every rank has to start, load its model and report ready.", {.min = 1, .max = 86400});
  b.add_number("step_s", f(&TimeoutsSection::step_s),
               "Seconds any rank may wait on another within one training step before the job is aborted.",
               {.min = 1, .max = 86400});
  b.add_number("heartbeat_s", f(&TimeoutsSection::heartbeat_s),
               "Seconds between liveness checks of the other ranks while waiting.", {.min = 0.1, .max = 3600});
}

void add_checkpoint_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::checkpoint, member); };
  b.add_integer("every", f(&CheckpointSection::every),
                "Write a checkpoint every this many steps; 0 = only at the end (and when a stop signal arrives).",
                {.min = 0, .max = 1e9});
  b.add_integer("keep_last", f(&CheckpointSection::keep_last), "Number of most recent checkpoints kept on disk.",
                {.min = 1, .max = 1e6});
  b.add_integer("keep_every", f(&CheckpointSection::keep_every),
                "Also keep every checkpoint whose step is a multiple of this, beyond keep_last; 0 = none.",
                {.min = 0, .max = 1e9});
}

void add_slurm_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::slurm, member); };
  b.add_string("partition", f(&SlurmSection::partition), "sbatch --partition; empty = the cluster's default.");
  b.add_string("account", f(&SlurmSection::account), "sbatch --account; empty = the user's default.");
  b.add_string("qos", f(&SlurmSection::qos), "sbatch --qos; empty = the default quality of service.");
  b.add_string("time", f(&SlurmSection::time),
               "sbatch --time, in a SLURM time format (minutes, HH:MM:SS, D-HH:MM, ...); empty = the partition's "
               "default limit.");
  b.add_integer("nodes", f(&SlurmSection::nodes), "sbatch --nodes: the job's ranks are spread over this many nodes.",
                {.min = 1, .max = 100000});
  b.add_integer("gpus_per_node", f(&SlurmSection::gpus_per_node), "sbatch --gpus-per-node; 0 = ask for no GPUs.",
                {.min = 0, .max = 64});
  b.add_integer("cpus_per_task", f(&SlurmSection::cpus_per_task),
                "sbatch --cpus-per-task (cores per rank); 0 = the cluster's default (usually 1).",
                {.min = 0, .max = 4096});
  b.add_string("mpi", f(&SlurmSection::mpi),
               "srun --mpi: the process-management interface srun starts the ranks with (Open MPI needs pmix).");
  b.add_integer("signal_lead_s", f(&SlurmSection::signal_lead_s),
                "Seconds before the time limit at which SLURM sends SIGUSR1 (sbatch --signal=B:USR1@...), so the run "
                "checkpoints, exits 75 and requeues itself; 0 = no early signal. SLURM checks every ~30 s.",
                {.min = 0, .max = 86400});
  b.add_string_list("sbatch_lines", f(&SlurmSection::sbatch_lines),
                    "More sbatch options, one per entry, written as `#SBATCH <entry>` (e.g. \"--constraint=a100\").");
  b.add_string_list("srun_args", f(&SlurmSection::srun_args),
                    "More srun options for the step that runs the ranks (e.g. \"--gpu-bind=closest\").");
  b.add_string_list("setup", f(&SlurmSection::setup),
                    "Shell lines the job script runs before srun (e.g. \"module load openmpi/4.1\").");
}

}  // namespace spct::config
