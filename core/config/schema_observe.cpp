// Fields of the observe section: progress output, TensorBoard files, the status endpoint and rollout logs
// (orchestrator/observe/).
#include "core/config/schema_sections.h"

namespace spct::config {

void add_observe_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::observe, member); };
  b.add_choice("progress", f(&ObserveSection::progress),
               "Progress output of the orchestrator: `bar` redraws one line in place (for a terminal), `lines` prints "
               "a plain line every `progress_every_steps` steps or `progress_every_s` seconds (for SLURM logs and "
               "CI), `auto` picks `bar` when stderr is a terminal and `lines` otherwise.");
  b.add_integer("progress_every_steps", f(&ObserveSection::progress_every_steps),
                "In `lines` mode, print a progress line at least every this many steps (and always after the first "
                "and the last step).",
                {.min = 1, .max = 1e9});
  b.add_number("progress_every_s", f(&ObserveSection::progress_every_s),
               "In `lines` mode, also print a progress line when this many seconds passed since the last one; 0 = "
               "only by steps.",
               {.min = 0, .max = 86400});
  b.add_bool("tensorboard", f(&ObserveSection::tensorboard),
             "Write every step's metrics as TensorBoard scalars to `<run>/tensorboard/` (view with `tensorboard "
             "--logdir <run.dir>`).");
  b.add_integer("status_port", f(&ObserveSection::status_port),
                "TCP port of the orchestrator's HTTP status endpoint (GET /metrics in Prometheus text, GET /status "
                "as JSON); 0 = no endpoint.",
                {.min = 0, .max = 65535});
  b.add_string("status_host", f(&ObserveSection::status_host),
               "Address the status endpoint listens on; the default accepts connections from this machine only.");
  b.add_integer("rollout_log_every", f(&ObserveSection::rollout_log_every),
                "Write the completions of every this many steps (steps 0, N, 2N, ...) to "
                "`<run>/rollouts/step-XXXXXXXX.jsonl[.zst]`, one JSON line per completion: prompt, completion, reward "
                "and its components, advantage, length, truncation, behaviour log-prob sum, policy version (read "
                "them with `spct rollouts RUN`); 0 = no rollout logs.",
                {.min = 0, .max = 1e9});
  b.add_choice("rollout_log_compress", f(&ObserveSection::rollout_log_compress),
               "Compression of the rollout log files: `zstd` (`.jsonl.zst`, read with `zstdcat`) or `none` "
               "(`.jsonl`).");
  b.add_integer("rollout_log_max_file_bytes", f(&ObserveSection::rollout_log_max_file_bytes),
                "Bound on one step's rollout log, in JSON bytes before compression: the step's records past it are "
                "not written (counted in the `rollouts/records_dropped` metric, warned once); the run goes on.",
                {.min = 1, .max = 1e15});
  b.add_integer("rollout_log_max_run_bytes", f(&ObserveSection::rollout_log_max_run_bytes),
                "Bound on all of the run's rollout logs together, in JSON bytes before compression (kept files of "
                "an earlier attempt count): once reached, no further records are written (counted in "
                "`rollouts/records_dropped`, warned once); the run goes on.",
                {.min = 1, .max = 1e15});
  b.add_integer("rollout_log_critique_chars", f(&ObserveSection::rollout_log_critique_chars),
                "Bound on the GRM critique text on one rollout-log line (one completion): the critiques of the "
                "completion's chunk share it, each cut in the middle (its principles and its final scores kept) "
                "with a `[... N characters cut ...]` marker. Reward workers cut before sending, so messages stay "
                "bounded too; 0 = no critiques in the log.",
                {.min = 0, .max = 1e9});
  b.add_integer("rollout_log_info_chars", f(&ObserveSection::rollout_log_info_chars),
                "Bound on the `info` an external reward (`command` or `http`) returns for one completion, in "
                "characters of compact JSON: a longer one is logged as its cut JSON text with a "
                "`[... N characters cut]` marker; 0 = no info in the log.",
                {.min = 0, .max = 1e9});
  b.add_integer("tensorboard_samples", f(&ObserveSection::tensorboard_samples),
                "On each rollout-logged step, this many completions (the best half and the worst half by reward) "
                "go to TensorBoard's Text tab as `rollouts/samples` (with observe.tensorboard); 0 = none.",
                {.min = 0, .max = 1000});
}

}  // namespace spct::config
