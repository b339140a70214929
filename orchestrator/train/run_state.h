// The orchestrator's part of a checkpoint: state.json, plus the resolved config.yaml beside it.
//
// state.json holds what the step loop needs to continue exactly where it stopped:
//   step            training steps completed (the checkpoint directory's number)
//   next_prompt_id  the id the next prompt gets; sampling seeds derive from it (see rng below)
//   data            the prompt stream's cursor (orchestrator/data/prompt_stream.h: save())
//   metrics_bytes   the length of metrics.jsonl after this step's line: a resumed run cuts the file there
// and, in asynchronous mode, the next step's groups, collected while this step was learned (pending_batch.h:
// pending_batch.json and pending_batch.bin beside state.json).
// and, for people and tools: config_hash, layout (roles, ranks), spct_version, written_at, and rng.
//
// RNG state of every rank: spct has no stateful random generator. Every random draw is seeded from run.seed
// and counters the checkpoint holds: sampling from (seed, prompt_id, step, completion index), data order from
// (seed, epoch), warm start and model init from the seed alone. So (step, next_prompt_id, data) ARE the RNG
// state of every rank, and a resumed run draws exactly what the uninterrupted run would have.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/config/loader.h"
#include "orchestrator/train/collected_batch.h"

namespace spct::train {

struct RunState {
  int64_t step = 0;
  uint64_t next_prompt_id = 0;
  nlohmann::json data;
  uint64_t metrics_bytes = 0;
  std::optional<CollectedBatch> pending;  // step `step`'s groups, already collected (asynchronous mode)
};

// Writes state.json, the pending batch (if any) and config.yaml into the checkpoint staging directory `dir`. Throws
// spct::Error.
void write_run_state(const std::filesystem::path& dir, const RunState& state, const config::ResolvedConfig& resolved);

// Reads `dir`/state.json and the pending batch. Throws spct::InputError naming the file and the key (or byte
// offset) when one is missing or malformed.
RunState read_run_state(const std::filesystem::path& dir);

}  // namespace spct::train
