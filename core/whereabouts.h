// Where this process is, kept so that a signal handler can say it: when mpirun (or srun) ends a job because a
// host was lost, it sends the surviving ranks SIGTERM and then SIGKILL about a second later, before any spct
// deadline passes, so the stall report (core/comm/stall_detector.h) never runs. The SIGTERM handler
// (core/stop_signal.h) writes these whereabouts instead:
//   "spct: at SIGTERM rank 3 (learner, host n2) was in phase 'train', waiting 1.4 s for rank 4 (learner,
//    host n3): a message with tag 6 from rank 4 on communicator 'world'"
// so the user learns which rank each survivor was waiting for (the lost one), its role, host and the phase.
//
// The place ("rank 3 (learner, host n2) was in phase 'train'") is set on every phase change (PhaseScope) and the
// wait ("rank 4 (learner, host n3): ...") when a wait on other ranks starts (StallDetector). Texts longer than
// kMaxText bytes are cut.
//
// Thread safety: the setters are called by the thread that owns MPI; write_whereabouts() may run at the same
// time in a signal handler on any thread. Every byte is a lock-free atomic and each text is published by an
// atomic index, so the handler reads either the old text or the new one, never a torn one unless the setter
// rewrote the same buffer twice while one write(2) ran.
#pragma once

#include <string_view>

namespace spct {

inline constexpr std::size_t kMaxWhereaboutsText = 480;

// "rank 3 (learner, host n2) was in phase 'train'".
void set_whereabouts_place(std::string_view place);

// A wait starts now; `waited_for` names what it waits for ("rank 4 (learner, host n3): a message ...").
void set_whereabouts_wait(std::string_view waited_for);

// The wait ended.
void clear_whereabouts_wait();

// Writes "spct: at <signal name> <place>, waiting S s for <waited_for>\n" (or ", not waiting for another rank")
// to `fd`; nothing when no place was set. Async-signal-safe.
void write_whereabouts(int fd, const char* signal_name);

}  // namespace spct
