#include "orchestrator/eval/eval_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace spct::eval {
namespace {

nlohmann::json accuracy_json(const grm::Accuracy& accuracy) {
  return {{"accuracy", accuracy.value()}, {"correct", accuracy.correct}, {"total", accuracy.total}};
}

std::string cell(const grm::Accuracy& accuracy) {
  return fmt::format("{:.3f} ({}/{})", accuracy.value(), accuracy.correct, accuracy.total);
}

// Newlines and tabs shown as escapes, so a completion stays on its table row.
std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

// Left-aligned columns as wide as their widest cell, two spaces apart.
std::string render_rows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += fmt::format("{:<{}}", row[c], widths[c] + (c + 1 < row.size() ? 2 : 0));
    out += line + "\n";
  }
  return out;
}

}  // namespace

nlohmann::json grm_report_json(const GrmEvalResult& result, const config::Config& config) {
  nlohmann::json methods = nlohmann::json::array();
  for (const GrmMethodResult& method : result.methods) {
    const grm::Accuracy overall = method.accuracy.overall();
    nlohmann::json sections = nlohmann::json::object();
    for (const grm::Accuracy& section : method.accuracy.per_section()) sections[section.name] = accuracy_json(section);
    nlohmann::json subsets = nlohmann::json::object();
    for (const grm::Accuracy& subset : method.accuracy.per_subset()) subsets[subset.name] = accuracy_json(subset);
    const std::optional<double> headline = method.accuracy.headline();
    methods.push_back({{"name", method.name},
                       {"k", method.k},
                       {"voters", method.voters},
                       {"accuracy", overall.value()},
                       {"correct", overall.correct},
                       {"total", overall.total},
                       {"vote_failures", method.vote_failures},
                       {"correct_per_item", method.correct_per_item},
                       {"headline", headline ? nlohmann::json(*headline) : nlohmann::json(nullptr)},
                       {"sections", sections},
                       {"subsets", subsets}});
  }
  return {{"target", "grm"},
          {"model", config.grm.backend == config::GrmBackend::kLocal ? config.grm.model_path : "remote"},
          {"meta_model", config.grm.meta_model_path},
          {"items", result.items},
          {"critiques", result.critiques},
          {"parse_failures", result.parse_failures},
          {"sample_seconds", result.sample_seconds},
          {"tie_breaking", kTieBreaking},
          {"methods", methods}};
}

nlohmann::json policy_report_json(const PolicyEvalResult& result, const config::Config& config) {
  nlohmann::json examples = nlohmann::json::array();
  for (const PolicyExample& example : result.examples) {
    examples.push_back({{"prompt", example.prompt},
                        {"completion", example.completion},
                        {"answer", example.answer},
                        {"correct", example.correct}});
  }
  nlohmann::json report = {{"target", "policy"},
                           {"model", config.model.path},
                           {"task", config.data.task == config::DataTask::kNone ? config.data.eval_path
                                                                                : config::to_string(config.data.task)},
                           {"verifier", result.verifier},
                           {"items", result.items},
                           {"correct", result.correct},
                           {"accuracy", result.accuracy()},
                           {"truncated", result.truncated},
                           {"correct_per_item", result.correct_per_item},
                           {"seconds", result.seconds},
                           {"examples", examples}};
  const SampledAccuracy& sampled = result.sampled;
  if (sampled.samples_per_item > 0) {
    report["sampled"] = {{"samples_per_item", sampled.samples_per_item},
                         {"temperature", sampled.temperature},
                         {"completions", sampled.completions()},
                         {"correct", sampled.correct()},
                         {"accuracy", sampled.accuracy()},
                         {"truncated", sampled.truncated},
                         {"correct_per_item", sampled.correct_per_item}};
    report["sampled"]["mean_at_n"] = sampled.accuracy();
    nlohmann::json pass = nlohmann::json::object();
    for (const int64_t k : sampled.pass_ks) pass[std::to_string(k)] = sampled.pass_at(k);
    report["sampled"]["pass_at_k"] = pass;
  }
  return report;
}

std::string grm_table(const GrmEvalResult& result) {
  std::vector<std::string> section_names;
  std::vector<std::string> subset_names;
  if (!result.methods.empty()) {
    for (const grm::Accuracy& a : result.methods.front().accuracy.per_section()) section_names.push_back(a.name);
    for (const grm::Accuracy& a : result.methods.front().accuracy.per_subset()) subset_names.push_back(a.name);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"method", "voters", "overall"};
  if (section_names.size() > 1) header.insert(header.end(), section_names.begin(), section_names.end());
  rows.push_back(header);
  for (const GrmMethodResult& method : result.methods) {
    std::vector<std::string> row = {method.name, std::to_string(method.voters), cell(method.accuracy.overall())};
    if (section_names.size() > 1) {
      for (const grm::Accuracy& section : method.accuracy.per_section()) row.push_back(cell(section));
    }
    rows.push_back(std::move(row));
  }
  std::string out = fmt::format("GRM accuracy on {} items ({} critiques, {} unparsable, {:.1f} s sampling)\n",
                                result.items, result.critiques, result.parse_failures, result.sample_seconds);
  out += render_rows(rows);
  if (subset_names.size() > 1) {
    std::vector<std::vector<std::string>> subset_rows;
    std::vector<std::string> subset_header = {"subset"};
    for (const GrmMethodResult& method : result.methods) subset_header.push_back(method.name);
    subset_rows.push_back(subset_header);
    for (size_t s = 0; s < subset_names.size(); ++s) {
      std::vector<std::string> row = {subset_names[s]};
      for (const GrmMethodResult& method : result.methods) row.push_back(cell(method.accuracy.per_subset()[s]));
      subset_rows.push_back(std::move(row));
    }
    out += "\n" + render_rows(subset_rows);
  }
  out += std::string("Ties: ") + kTieBreaking + ".\n";
  return out;
}

std::string policy_table(const PolicyEvalResult& result) {
  std::string out =
      fmt::format("policy greedy accuracy ({}): {:.3f} ({}/{}), {} truncated, {:.1f} s\n", result.verifier,
                  result.accuracy(), result.correct, result.items, result.truncated, result.seconds);
  const SampledAccuracy& sampled = result.sampled;
  if (sampled.samples_per_item > 0) {
    out += fmt::format(
        "policy sampled accuracy ({}, {} samples per item at temperature {}): {:.3f} ({}/{}), {} "
        "truncated\n",
        result.verifier, sampled.samples_per_item, sampled.temperature, sampled.accuracy(), sampled.correct(),
        sampled.completions(), sampled.truncated);
    out += fmt::format("  mean@{} {:.3f}", sampled.samples_per_item, sampled.accuracy());
    for (const int64_t k : sampled.pass_ks) out += fmt::format("  pass@{} {:.3f}", k, sampled.pass_at(k));
    out += "\n";
  }
  std::vector<std::vector<std::string>> rows = {{"prompt", "completion", "answer", "correct"}};
  for (const PolicyExample& example : result.examples) {
    rows.push_back({one_line(example.prompt), one_line(example.completion), one_line(example.answer),
                    example.correct ? "yes" : "no"});
  }
  return out + render_rows(rows);
}

}  // namespace spct::eval
