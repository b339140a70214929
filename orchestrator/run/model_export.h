// The exported model of a run: `<run dir>/model/`, a copy of the final checkpoint's Hugging Face model
// directory, for `spct generate/eval/serve` and later pipeline stages. A LoRA run (model.lora.rank > 0) also gets
// `<run dir>/adapter/`, the checkpoint's PEFT adapter directory; model/ is then the frozen base (`spct export
// RUN --merged DIR` writes base and adapter merged).
//
// Replacing it is atomic: the copy is staged in `.model.partial/` and swapped into place in one step
// (renameat2 RENAME_EXCHANGE when an older export exists, rename otherwise), then the older export is removed.
// A kill at any point leaves `model/` either absent, the older export or the new one, never a mixture; a
// staging directory left behind is removed by the next export. Whether `model/` is the final one is recorded
// by status.json: "finished" is written only after the export (run_directory.h), so a run found complete with
// another status is exported again from its final checkpoint (orchestrator/train/resume.h).
//
// Tensor-free: files are copied, not loaded.
#pragma once

#include <filesystem>

#include "orchestrator/run/run_directory.h"

namespace spct::run {

// Copies `checkpoint`/model into `run_dir`/model as above. Throws spct::Error naming the path on failure.
void export_model(const std::filesystem::path& checkpoint, const RunDirectory& run_dir);

}  // namespace spct::run
