// Per-group cost of the out-of-process reward kinds next to an in-process rule: one group of 8 completions of
// the add task scored again and again, one thread, after a warm-up. The `command` case runs
// examples/rewards/math_answer.py as the subprocess; the `http` case posts to a server already listening (the
// driver script bench/rewards/external_overhead.sh starts examples/rewards/http_server.py).
// Usage: spct_bench_external_rewards EXAMPLES_DIR HTTP_URL [groups per case, default 2000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/external/command_reward.h"
#include "workers/reward/external/http_reward.h"
#include "workers/reward/rules/combined_reward.h"

namespace {

using namespace spct::reward;
using Clock = std::chrono::steady_clock;

void measure(const char* name, int64_t groups, int64_t group_size, const std::function<double()>& score_group) {
  for (int i = 0; i < 20; ++i) score_group();  // warm-up: process start, connections, caches
  double checksum = 0;
  const auto start = Clock::now();
  for (int64_t i = 0; i < groups; ++i) checksum += score_group();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%-38s %10.1f us per group %8.2f us per completion  (checksum %.0f)\n", name,
              1e6 * seconds / static_cast<double>(groups), 1e6 * seconds / static_cast<double>(groups * group_size),
              checksum);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s EXAMPLES_DIR HTTP_URL [groups]\n", argv[0]);
    return 2;
  }
  const std::string examples = argv[1], url = argv[2];
  const int64_t groups = argc > 3 ? std::atoll(argv[3]) : 2000;
  const std::vector<std::string> completions = {"19\n", "18\n", "19\n", "9\n", "19\n", "1\n", "19\n", "x\n"};
  const auto size = static_cast<int64_t>(completions.size());
  const ExternalGroup group{"12+7=",
                            &completions,
                            "19",
                            0,
                            0,
                            std::vector<int64_t>(completions.size(), 3),
                            std::vector<bool>(completions.size(), false)};
  const auto sum = [](const std::vector<double>& scores) {
    double total = 0;
    for (const double s : scores) total += s;
    return total;
  };

  const CombinedReward rule = CombinedReward::make({"exact_match"}, {}, {});
  measure("in-process rule (exact_match)", groups, size, [&] {
    double total = 0;
    for (const std::string& completion : completions) total += rule.score({"12+7=", completion, "19", 3, false}).total;
    return total;
  });

  ExternalOptions options;
  options.timeout_s = 60;
  CommandReward command("math", "python3 " + examples + "/math_answer.py", options);
  measure("command (math_answer.py, JSON lines)", groups, size, [&] { return sum(command.score(group).scores); });

  HttpReward http("math", url, options);
  measure("http (http_server.py, keep-alive)", groups, size, [&] { return sum(http.score(group).scores); });
  return 0;
}
