// Turn-taking on device memory in a colocated job (layout.take_turns): the rollout engine and the learner share
// one device, so each phase gets the memory the other one is not using.
//   - While the policy generates (and the reward functions score), the learner's optimizer state (AdamW moments
//     and float32 masters) waits in pinned host memory and its gradients are released
//     (GrpoLearner::offload), so the engine's KV cache may take their room.
//   - While the learner learns, the engine holds no KV cache: each generate() owns its cache and frees it when it
//     returns (models/generation.h). The state comes back before the update (GrpoLearner::reload).
//   - At each turn the caching allocator's free blocks go back to the device (device_memory.h), so the next
//     phase's allocations (other sizes: KV rows versus activations) are not held up by blocks cut for the previous
//     phase.
// The values move by exact copies and the gradients are zeroed before each update anyway, so a run takes the same
// steps bit for bit with turn-taking on or off; only its peak device memory differs (docs/gpu.md).
#pragma once

#include "core/config/choices.h"

namespace spct::train {

// Whether a colocated job whose policy lives on a CUDA device (`on_gpu`) or the CPU takes turns: always with
// layout.take_turns on, never with off, and with auto only on a GPU (on the CPU there is nothing to free).
bool takes_turns(config::TurnTaking setting, bool on_gpu);

}  // namespace spct::train
