// The file format of a collected batch that a checkpoint carries over (asynchronous mode: step t+1's groups,
// sampled by the weights before step t's update, exist when the checkpoint of t steps is written). Saving them
// is what lets a resumed asynchronous run continue exactly as the uninterrupted one: the weights that sampled
// them are gone once the update is done.
//
// Two files in the checkpoint directory:
//   pending_batch.json  {"format": "spct-pending-batch-1", "step", "refill_rounds", "groups", "trained": [bool]}
//   pending_batch.bin   for each group i in order: u64 length (little-endian), then the encoded PromptItem
//                       (as a one-item PromptBatch {step}), the same for its GeneratedGroup and its
//                       RewardResult (core/protocol/codec.h; each carries its own CRC-32).
// The checkpoint's MANIFEST.json hashes both like every other file. Every group must be here
// (CollectedBatch::all_here; StepBackend::fetch_groups brings those the rollout workers keep); frames of wire
// format 2 and 3 still load (codec.h).
#pragma once

#include <filesystem>
#include <optional>

#include "orchestrator/train/collected_batch.h"

namespace spct::train {

// Writes the two files into `dir` (a checkpoint staging directory). Throws spct::Error when they cannot be
// written. REQUIRES: batch.all_here().
void write_pending_batch(const std::filesystem::path& dir, const CollectedBatch& batch);

// The batch saved in `dir`, or nullopt when `dir` holds none. Throws spct::InputError naming the file and the
// byte offset (or key) when a file is truncated, corrupt or inconsistent with the other.
std::optional<CollectedBatch> read_pending_batch(const std::filesystem::path& dir);

}  // namespace spct::train
