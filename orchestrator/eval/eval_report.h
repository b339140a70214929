// What `spct eval` shows and keeps: a table for the console and the JSON document written to eval.json.
//
// eval.json for a GRM:
//   {"target": "grm", "model": grm.model_path, "meta_model": grm.meta_model_path, "items": N,
//    "critiques": C, "parse_failures": P, "sample_seconds": s,
//    "tie_breaking": "...", "methods": [{"name": "greedy" | "voting@k" | "metarm@k", "k": k, "voters": v,
//      "accuracy": a, "correct": c, "total": t, "vote_failures": f,
//      "correct_per_item": [0 | 1, ...] (in item order), "headline": h | null,
//      "sections": {"<section>": {"accuracy": a, "correct": c, "total": t}, ...},
//      "subsets": {"<subset>": {...}, ...}}, ...]}
//   ("headline" is the plain mean of the RewardBench sections present, as in the paper; null without any.)
// eval.json for a policy:
//   {"target": "policy", "model": model.path ("" = a new model from run.seed), "task": data.task or data.path,
//    "verifier": name, "items": N, "correct": c, "accuracy": a, "truncated": t,
//    "correct_per_item": [0 | 1, ...] (greedy, in item order), "seconds": s,
//    "examples": [{"prompt", "completion", "answer", "correct"}, ...],
//    "sampled": {"samples_per_item": k, "temperature": t, "completions": N k, "correct": c, "accuracy": a,
//                "truncated": t, "correct_per_item": [c_1, ..., c_N]}}   ("sampled" only with eval.samples > 0)
//
// Thread safety: the functions are pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/config/config.h"
#include "orchestrator/eval/grm_eval.h"
#include "orchestrator/eval/policy_eval.h"

namespace spct::eval {

// How ties and failed votes are scored, as stated in the table and in eval.json.
inline constexpr const char* kTieBreaking =
    "ties for the top score are broken by a seeded shuffle among the tied responses (correctness.h: "
    "eval_pick_best); an item whose vote fails counts as wrong";

nlohmann::json grm_report_json(const GrmEvalResult& result, const config::Config& config);
nlohmann::json policy_report_json(const PolicyEvalResult& result, const config::Config& config);

// One row per method with its overall accuracy and one column per section; below it, when the items have more
// than one subset, one row per subset with a column per method.
std::string grm_table(const GrmEvalResult& result);
std::string policy_table(const PolicyEvalResult& result);

}  // namespace spct::eval
