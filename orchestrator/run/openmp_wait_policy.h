// OpenMP's wait policy for spct processes. libgomp (LibTorch's intra-op threads; the torch wheel ships its own
// copy, torch/lib/libgomp.so.1) reads OMP_WAIT_POLICY once, in its constructor, before main() runs: setting
// the variable inside main is too late. Its default spins idle threads for a while after every parallel
// region, which takes the core from the other ranks, or the other jobs, on a shared node (measured: a colocated
// GRPO step 10x slower at load 8). So spct sets the variable and starts itself again.
#pragma once

namespace spct::run {

// When OMP_WAIT_POLICY is not set: sets it to PASSIVE and replaces this process by the same executable with the
// same arguments (execv of /proc/self/exe, before any thread, file or MPI state exists), so the new image's
// libgomp waits passively. Returns when the variable is already set (by the user, a launcher's environment, or
// the first image) and, after a warning on stderr, when the re-exec fails. Call first thing in main(); the
// restart loads LibTorch a second time.
void ensure_passive_openmp(char** argv);

}  // namespace spct::run
