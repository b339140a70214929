#include "core/comm/rank_main.h"

#include <fmt/format.h>

#include <exception>

#include "core/comm/stall_detector.h"

namespace spct::comm {

void run_rank(RankState& state, const std::function<void()>& body) {
  std::string what;
  try {
    body();
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  const std::string& phase = state.failed_phase().empty() ? state.phase() : state.failed_phase();
  abort_job(fmt::format("{} failed in phase '{}': {}", state.describe(), phase, what));
}

}  // namespace spct::comm
