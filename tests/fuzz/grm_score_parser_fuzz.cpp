// libFuzzer target for the GRM score parser: any critique text must give scores or a failure value with a
// reason; never a crash, a hang, an exception, or a result that breaks the parser's contract. The first two
// bytes choose the expected count (1..16) and the score range, so odd specs are explored too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "workers/reward/grm/score_parser.h"
#include "workers/reward/grm/voting.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  spct::grm::ScoreSpec spec;
  spec.count = 1 + data[0] % 16;
  spec.min = data[1] % 4;
  spec.max = spec.min + 1 + data[1] / 4 % 12;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  const spct::grm::ParsedScores parsed = spct::grm::parse_scores(text, spec);
  if (parsed.ok()) {
    require(static_cast<int>(parsed.scores.size()) == spec.count);
    for (const int s : parsed.scores) require(s >= spec.min && s <= spec.max);
    require(parsed.reason.empty());
    require(text.substr(parsed.box_offset, 7) == "\\boxed{");
    // A parsed critique must also vote without trouble, in any order.
    spct::grm::SampleVote sample{spct::grm::shuffled_order(spec.count, size), parsed};
    const spct::grm::VoteResult result = spct::grm::vote({sample}, spec.count, spct::grm::VoteOptions{});
    require(result.ok && static_cast<int>(result.totals.size()) == spec.count);
  } else {
    require(parsed.scores.empty());
    require(!parsed.reason.empty());
    require(parsed.reason.size() < 400);
    require(parsed.box_offset <= text.size());
  }
  return 0;
}
