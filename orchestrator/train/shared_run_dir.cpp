// check_run_dir_shared (shared_run_dir.h).
#include "orchestrator/train/shared_run_dir.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace spct::train {
namespace {

// Rank 0's `text` on every rank.
std::string broadcast_string(comm::Communicator& comm, std::string text) {
  uint64_t size = text.size();
  comm.broadcast(&size, sizeof(size), 0);
  text.resize(size);
  comm.broadcast(text.data(), size, 0);
  return text;
}

std::string random_nonce() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}{:08x}", device(), device(), device());
}

bool sees_nonce(const std::filesystem::path& file, const std::string& nonce, double wait_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (true) {
    std::ifstream in(file);
    std::string content;
    if (in && std::getline(in, content) && content == nonce) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void check_run_dir_shared(comm::Communicator& comm, const comm::RankLayout& layout,
                          const std::filesystem::path& run_dir, double wait_s) {
  // The nonce names the file too, so two jobs sharing a run.dir do not read each other's.
  // When rank 0 cannot write there, the check is skipped: opening the run directory fails next, on rank 0, with
  // the precise reason, as it did before this check existed.
  std::string nonce;
  if (comm.rank() == 0) {
    nonce = random_nonce();
    std::error_code error;
    std::filesystem::create_directories(run_dir, error);
    std::ofstream out(run_dir / (".spct-shared-check-" + nonce));
    if (error || !(out << nonce << '\n') || !out.flush()) nonce.clear();
  }
  nonce = broadcast_string(comm, nonce);
  const std::filesystem::path file = run_dir / (".spct-shared-check-" + nonce);
  const uint8_t seen = nonce.empty() || sees_nonce(file, nonce, wait_s) ? 1 : 0;
  std::vector<uint8_t> all(static_cast<size_t>(comm.size()));
  comm.all_gather(&seen, all.data(), 1);
  if (comm.rank() == 0) {
    std::error_code ignored;
    if (!nonce.empty()) std::filesystem::remove(file, ignored);
  }
  std::vector<std::string> blind;
  for (int rank = 0; rank < comm.size(); ++rank) {
    if (all[static_cast<size_t>(rank)] == 0) {
      blind.push_back(fmt::format("{} on host {}", layout.describe(rank), layout.at(rank).hostname));
    }
  }
  if (blind.empty()) return;
  if (comm.rank() != 0) {
    throw UsageError(
        fmt::format("rank {}: the run directory is not shared with rank 0 (rank 0 names the ranks)", comm.rank()));
  }
  throw UsageError(fmt::format(
      "run.dir {} is not one filesystem for every rank: rank 0 (host {}) wrote a file there that {} did not see "
      "within {:.0f} s. Checkpoints are written by learner 0 and sealed by rank 0, so every rank needs the same "
      "run directory: put run.dir on a filesystem shared by all hosts (NFS, Lustre, ...)",
      run_dir.string(), layout.at(0).hostname, fmt::join(blind, ", "), wait_s));
}

}  // namespace spct::train
