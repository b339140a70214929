// What a reward worker adds to a RewardResult for the rollout log (orchestrator/observe/rollout_record.h) beyond
// the scores: the GRM's critiques of the group and the external rewards' per-completion info, each cut to the
// bounds observe.rollout_log_critique_chars and observe.rollout_log_info_chars, so that neither the messages
// nor the log grow with what a GRM or a plugin chooses to write. Only the steps the log records carry them.
//
// Lengths are counted in characters (UTF-8 code points; a byte of broken UTF-8 counts as one) and texts are cut
// on character boundaries. The markers say how much was cut, so a reader never takes a cut text for a whole one.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/protocol/messages.h"
#include "workers/reward/grm/group_scorer.h"

namespace spct::reward {

// True when the rollout log records step `step` (the orchestrator's RolloutLogWriter::due, same rule).
bool rollout_logged(const config::ObserveSection& observe, uint64_t step);

// `text` when it has at most `max_chars` characters; else its first and last max_chars / 2 characters around
// "\n[... N characters cut ...]\n" (a critique's principles open it and its scores close it).
std::string cut_middle(const std::string& text, int64_t max_chars);

// `text` when it has at most `max_chars` characters; else its first max_chars characters and
// " [... N characters cut]".
std::string cut_end(const std::string& text, int64_t max_chars);

// The group's critiques for the log. A completion's log line shows the critiques of its chunk, so each chunk's
// critiques share `chars_per_line` (each gets chars_per_line / critiques in its chunk, cut_middle). Empty when
// chars_per_line is 0.
std::vector<protocol::GrmCritique> critiques_for_log(const std::vector<grm::CritiqueRecord>& critiques,
                                                     int64_t chars_per_line);

}  // namespace spct::reward
