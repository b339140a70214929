// The checkpoints of one run: `<run dir>/checkpoints/step-00000040/` for the state after 40 steps.
//
// Writing one (never visible half-written):
//   1. stage(step) creates `.partial-step-00000040/` (removing leftovers of earlier killed writes); the roles
//      write their files into it;
//   2. commit(step) writes MANIFEST.json (manifest.h) last, renames the staging directory to `step-00000040`,
//      fsyncs the parent, then replaces the `latest` file (one line, the directory name) atomically, and prunes:
//      the newest keep_last checkpoints stay, and with keep_every > 0 so does every checkpoint whose step is a
//      multiple of keep_every.
// A kill before the rename leaves only a `.partial-*` directory, which nothing reads; a kill between the rename
// and `latest` leaves a complete checkpoint that `latest` does not name yet, and latest_valid() still finds it.
//
// Reading: latest_valid() verifies candidates newest first (by step, not by the `latest` file, which is a
// convenience for people and scripts) and returns the first intact one, with a warning for every damaged one it
// skipped.
//
// Thread safety: none. One writer (the orchestrator) per run; the learner that fills a staging directory only
// writes files inside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spct::checkpoint {

struct Retention {
  int64_t keep_last = 3;   // >= 1
  int64_t keep_every = 0;  // 0: none kept for their step alone
};

struct CheckpointRef {
  std::filesystem::path path;
  int64_t step = 0;  // training steps completed when it was written
};

class CheckpointStore {
 public:
  // `root` is `<run dir>/checkpoints`; it is created on the first stage().
  CheckpointStore(std::filesystem::path root, Retention retention);

  // `step-00000040`, and the full paths of a checkpoint and of its staging directory.
  static std::string directory_name(int64_t step);
  std::filesystem::path final_path(int64_t step) const;
  std::filesystem::path staging_path(int64_t step) const;

  // Creates an empty staging directory for `step`, removing every earlier `.partial-*` directory. Throws
  // spct::Error when it cannot.
  std::filesystem::path stage(int64_t step) const;

  // Seals the staging directory of `step` (steps 2 above) and returns the checkpoint's path. An existing
  // checkpoint of the same step (written by an earlier attempt of this run) is replaced. Throws spct::Error.
  std::filesystem::path commit(int64_t step) const;

  // Makes the `latest` file name checkpoint `step` (atomically), unless it does already: a run killed between
  // commit()'s rename and its `latest` write is repaired this way when it is found complete.
  void point_latest_at(int64_t step) const;

  // Every directory named like a checkpoint, newest first, intact or not.
  std::vector<CheckpointRef> list() const;

  // The newest intact checkpoint; for each newer damaged one, a warning naming it and its problem is appended
  // to `warnings`.
  std::optional<CheckpointRef> latest_valid(std::vector<std::string>& warnings) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  void prune() const;

  const std::filesystem::path root_;
  const Retention retention_;
};

// The step a directory named `step-00000040` holds, or nullopt for any other name.
std::optional<int64_t> step_of_directory(const std::string& name);

}  // namespace spct::checkpoint
