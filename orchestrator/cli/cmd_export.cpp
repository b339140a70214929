// `spct export RUN [--step N] [--out DIR] [--merged DIR]`: the LoRA adapter of a run's checkpoint as a PEFT
// adapter directory (adapter_config.json + adapter_model.safetensors, loadable with
// peft.PeftModel.from_pretrained), and/or the base model with the adapter merged in, as a Hugging Face model
// directory. Without --step the newest intact checkpoint is used. A run that trained the full model has no
// adapter: its checkpoints' model/ directories already are Hugging Face models, and export says so.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checkpoint/checkpoint_store.h"
#include "core/error.h"
#include "models/io/hf_model_dir.h"
#include "models/io/peft_adapter.h"
#include "models/lora.h"
#include "orchestrator/cli/commands.h"

namespace spct::cli {
namespace {
namespace fs = std::filesystem;

struct ExportArgs {
  std::string run;
  int64_t step = -1;  // -1: the newest intact checkpoint
  std::string out;
  std::string merged;
};

fs::path choose_checkpoint(const ExportArgs& args) {
  const checkpoint::CheckpointStore store(fs::path(args.run) / "checkpoints", checkpoint::Retention{});
  if (args.step >= 0) {
    for (const checkpoint::CheckpointRef& ref : store.list()) {
      if (ref.step == args.step) return ref.path;
    }
    std::string steps;
    for (const checkpoint::CheckpointRef& ref : store.list()) steps += " " + std::to_string(ref.step);
    throw UsageError("--step " + std::to_string(args.step) + ": " + args.run + " has no checkpoint of that step" +
                     (steps.empty() ? " (it has none)" : " (steps:" + steps + ")"));
  }
  std::vector<std::string> warnings;
  const std::optional<checkpoint::CheckpointRef> latest = store.latest_valid(warnings);
  for (const std::string& warning : warnings) std::cerr << "warning: " << warning << "\n";
  if (!latest) throw UsageError(args.run + ": no intact checkpoint under " + store.root().string());
  return latest->path;
}

void run_export(const ExportArgs& args) {
  if (args.out.empty() && args.merged.empty()) throw UsageError("export: give --out DIR, --merged DIR, or both");
  const fs::path checkpoint = choose_checkpoint(args);
  const fs::path base = checkpoint / "model";
  const fs::path adapter = checkpoint / "adapter";
  if (!fs::exists(adapter)) {
    throw UsageError(checkpoint.string() +
                     " holds no LoRA adapter (the run trained the full model, model.lora.rank "
                     "0); its Hugging Face model is " +
                     base.string());
  }
  const std::unique_ptr<models::Transformer> model = model_io::load_hf_model(base);
  model_io::load_peft_adapter(*model, adapter);
  if (!args.out.empty()) {
    model_io::save_peft_adapter(*model, args.out, fs::absolute(base).lexically_normal().string());
    std::cout << "adapter of " << checkpoint.string() << " -> " << args.out << "\n";
  }
  if (!args.merged.empty()) {
    models::merge_lora(*model);
    model_io::SaveOptions options;
    options.tokenizer_source = base;
    model_io::save_hf_model(*model, args.merged, options);
    std::cout << "merged model of " << checkpoint.string() << " -> " << args.merged << "\n";
  }
}

}  // namespace

void register_export(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write the LoRA adapter of a run's checkpoint as a PEFT adapter directory (--out) and/or the base model with "
      "the adapter merged in as a Hugging Face model directory (--merged); docs/lora.md");
  auto args = std::make_shared<ExportArgs>();
  cmd->add_option("run", args->run, "The run's directory (<run.dir>/<run.name>)")->required();
  cmd->add_option("--step", args->step, "The checkpoint's step (default: the newest intact checkpoint)");
  cmd->add_option("--out", args->out,
                  "Directory for the PEFT adapter (adapter_config.json, adapter_model.safetensors)");
  cmd->add_option("--merged", args->merged,
                  "Directory for the merged model (config.json, model.safetensors, tokenizer)");
  cmd->callback([args] { run_export(*args); });
}

}  // namespace spct::cli
