#include "orchestrator/pipeline/summary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace spct::pipeline {
namespace {
using nlohmann::json;

std::string fixed(double value, int digits);

double std_error(double accuracy, int64_t items) {
  if (items <= 0) return 0;
  return std::sqrt(accuracy * (1 - accuracy) / static_cast<double>(items));
}

// The value at `key` of `object` as T; an InputError naming the file and key when it is absent or mistyped.
template <class T>
T field(const json& object, const std::string& key, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end()) throw InputError(file + ": no \"" + key + "\" (is it the eval.json of `spct eval`?)");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw InputError(file + ": \"" + key + "\" has the wrong type: " + it->dump());
  }
}

SummaryRow make_row(const EvalStageDir& stage, const std::string& target, const std::string& method,
                    const std::string& model, int64_t correct, int64_t items) {
  SummaryRow row{stage.name, target, method, model, 0, correct, items, 0, {}};
  row.accuracy = items > 0 ? static_cast<double>(correct) / static_cast<double>(items) : 0;
  row.std_error = std_error(row.accuracy, items);
  return row;
}

// The standard error of the mean of `values`: their sample standard deviation / sqrt(count); 0 for fewer than 2.
double std_error_of_mean(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const auto n = static_cast<double>(values.size());
  double sum = 0;
  for (const double value : values) sum += value;
  const double mean = sum / n;
  double squares = 0;
  for (const double value : values) squares += (value - mean) * (value - mean);
  return std::sqrt(squares / (n - 1) / n);
}

// A policy eval's "sampled" object: one row over all items x samples, whose standard error is taken over the
// items' mean accuracies (an item's samples share its difficulty, so counting them as independent would shrink
// the error bar by up to sqrt(samples)).
SummaryRow sampled_row(const EvalStageDir& stage, const std::string& model, const json& sampled, int64_t items,
                       const std::string& file) {
  const std::string where = file + ": \"sampled\"";
  if (!sampled.is_object()) throw InputError(where + " is not an object");
  const auto samples = field<int64_t>(sampled, "samples_per_item", where);
  const auto per_item = field<std::vector<int64_t>>(sampled, "correct_per_item", where);
  if (samples <= 0) throw InputError(where + ": \"samples_per_item\" is " + std::to_string(samples) + ", not > 0");
  if (static_cast<int64_t>(per_item.size()) != items) {
    throw InputError(where + ": \"correct_per_item\" has " + std::to_string(per_item.size()) + " entries for " +
                     std::to_string(items) + " items");
  }
  int64_t correct = 0;
  std::vector<double> item_means;
  for (std::size_t i = 0; i < per_item.size(); ++i) {
    if (per_item[i] < 0 || per_item[i] > samples) {
      throw InputError(where + ": \"correct_per_item\"[" + std::to_string(i) + "] is " + std::to_string(per_item[i]) +
                       ", outside [0, " + std::to_string(samples) + "]");
    }
    correct += per_item[i];
    item_means.push_back(static_cast<double>(per_item[i]) / static_cast<double>(samples));
  }
  const std::string method = "sampled verifier accuracy, " + std::to_string(samples) + " samples per item";
  SummaryRow row = make_row(stage, "policy", method, model, correct, items * samples);
  row.std_error = std_error_of_mean(item_means);
  row.per_item = std::move(item_means);
  return row;
}

// The optional "correct_per_item" list of `object` (0/1 per item) as scores; empty when absent (older files).
std::vector<double> per_item_scores(const json& object, int64_t items, const std::string& where) {
  const auto it = object.find("correct_per_item");
  if (it == object.end()) return {};
  const auto values = field<std::vector<int64_t>>(object, "correct_per_item", where);
  if (static_cast<int64_t>(values.size()) != items) {
    throw InputError(where + ": \"correct_per_item\" has " + std::to_string(values.size()) + " entries for " +
                     std::to_string(items) + " items");
  }
  std::vector<double> scores;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0 && values[i] != 1) {
      throw InputError(where + ": \"correct_per_item\"[" + std::to_string(i) + "] is " + std::to_string(values[i]) +
                       ", not 0 or 1");
    }
    scores.push_back(static_cast<double>(values[i]));
  }
  return scores;
}

// The mean and standard error (over steps) of verifier/accuracy in steps [begin, end) of `values`.
SummaryRow training_row(const EvalStageDir& stage, const std::string& method, const std::vector<double>& values,
                        std::size_t begin, std::size_t end) {
  const std::vector<double> window(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                   values.begin() + static_cast<std::ptrdiff_t>(end));
  SummaryRow row{stage.name, "policy", method, "", 0, 0, static_cast<int64_t>(window.size()), 0, {}};
  double sum = 0;
  for (const double value : window) sum += value;
  row.accuracy = sum / static_cast<double>(window.size());
  row.std_error = std_error_of_mean(window);
  return row;
}

// The drift warning of a training stage's metric that fell from its first to its last window by more than
// kDriftStandardErrors standard errors of the difference, or "" when it did not.
std::string drift_warning(const SummaryRow& first, const SummaryRow& last, const std::string& what) {
  const double fall = first.accuracy - last.accuracy;
  const double error = std::sqrt(first.std_error * first.std_error + last.std_error * last.std_error);
  if (first.items < 2 || last.items < 2 || fall <= kDriftStandardErrors * error) return {};
  return "DRIFT in stage " + first.stage + ": " + what + " fell from " + fixed(first.accuracy, 3) + " to " +
         fixed(last.accuracy, 3) + " (-" + fixed(fall, 3) + ", " + fixed(error > 0 ? fall / error : 0, 1) +
         " standard errors) while the policy trained on its reward: it may be exploiting the reward model";
}

// A training stage: the sampled verifier accuracy of its first and last kTrainingWindow steps, and the GRM's
// agreement with the verifier on the policy's samples when the stage logged it.
void add_training_rows(const EvalStageDir& stage, std::vector<SummaryRow>& rows, std::vector<std::string>& drift) {
  const std::string file = (std::filesystem::path(stage.run_dir) / "metrics.jsonl").string();
  std::ifstream in(file);
  if (!in) throw InputError(file + ": cannot read the metrics of stage '" + stage.name + "' (did it run?)");
  std::vector<double> accuracy;
  std::vector<double> agreement;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const json step = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!step.is_object()) throw InputError(file + ":" + std::to_string(number) + ": not a JSON object");
    const auto it = step.find("verifier/accuracy");
    if (it != step.end() && it->is_number()) accuracy.push_back(it->get<double>());
    const auto agrees = step.find("grm/verifier_agreement");
    if (agrees != step.end() && agrees->is_number()) agreement.push_back(agrees->get<double>());
  }
  if (accuracy.empty()) {
    throw InputError(file + ": no step has \"verifier/accuracy\" (a report reads it from GRPO stages only)");
  }
  const std::size_t window = std::min(kTrainingWindow, accuracy.size());
  const std::string steps = " " + std::to_string(window) + " steps";
  rows.push_back(training_row(stage, "sampled verifier accuracy, first" + steps, accuracy, 0, window));
  rows.push_back(training_row(stage, "sampled verifier accuracy, last" + steps, accuracy, accuracy.size() - window,
                              accuracy.size()));
  drift.push_back(drift_warning(rows[rows.size() - 2], rows.back(), "the sampled verifier accuracy"));
  if (agreement.empty()) return;
  const std::size_t agreement_window = std::min(kTrainingWindow, agreement.size());
  const std::string agreement_steps = " " + std::to_string(agreement_window) + " steps";
  rows.push_back(training_row(stage, "GRM-verifier agreement on its samples, first" + agreement_steps, agreement, 0,
                              agreement_window));
  rows.back().target = "grm";
  rows.push_back(training_row(stage, "GRM-verifier agreement on its samples, last" + agreement_steps, agreement,
                              agreement.size() - agreement_window, agreement.size()));
  rows.back().target = "grm";
  drift.push_back(drift_warning(rows[rows.size() - 2], rows.back(),
                                "the GRM's agreement with the verifier on the policy's own samples"));
}

void add_rows(const EvalStageDir& stage, std::vector<SummaryRow>& rows, std::vector<std::string>& drift) {
  const std::string file = (std::filesystem::path(stage.run_dir) / "eval.json").string();
  if (!std::filesystem::exists(file) &&
      std::filesystem::exists(std::filesystem::path(stage.run_dir) / "metrics.jsonl")) {
    add_training_rows(stage, rows, drift);
    return;
  }
  std::ifstream in(file);
  if (!in) throw InputError(file + ": cannot read the eval result of stage '" + stage.name + "' (did it run?)");
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) throw InputError(file + ": not a JSON object");
  const auto target = field<std::string>(doc, "target", file);
  const auto model = field<std::string>(doc, "model", file);
  if (target == "policy") {
    const auto items = field<int64_t>(doc, "items", file);
    rows.push_back(
        make_row(stage, target, "greedy verifier accuracy", model, field<int64_t>(doc, "correct", file), items));
    rows.back().per_item = per_item_scores(doc, items, file);
    const auto sampled = doc.find("sampled");
    if (sampled != doc.end()) rows.push_back(sampled_row(stage, model, *sampled, items, file));
    return;
  }
  if (target != "grm") throw InputError(file + ": \"target\" is \"" + target + "\", not policy or grm");
  const json methods = field<json>(doc, "methods", file);
  if (!methods.is_array() || methods.empty()) throw InputError(file + ": \"methods\" is not a non-empty list");
  for (const json& method : methods) {
    const auto total = field<int64_t>(method, "total", file);
    rows.push_back(make_row(stage, target, field<std::string>(method, "name", file), model,
                            field<int64_t>(method, "correct", file), total));
    rows.back().per_item = per_item_scores(method, total, file);
  }
}

// The row of `stage` named `method` that has per-item scores, or null.
const SummaryRow* find_row(const std::vector<SummaryRow>& rows, const std::string& stage, const std::string& method) {
  for (const SummaryRow& row : rows) {
    if (row.stage == stage && row.method == method && !row.per_item.empty()) return &row;
  }
  return nullptr;
}

SummaryComparison compare(const std::string& name, const SummaryRow& a, const SummaryRow& b) {
  return {name, a.stage + ": " + a.method, b.stage + ": " + b.method, paired_difference(a.per_item, b.per_item)};
}

// The largest k among the rows of `stage` named prefix + k ("voting@"), or 0 when none.
int largest_k(const std::vector<SummaryRow>& rows, const std::string& stage, const std::string& prefix) {
  int largest = 0;
  for (const SummaryRow& row : rows) {
    if (row.stage != stage || row.method.rfind(prefix, 0) != 0 || row.per_item.empty()) continue;
    largest = std::max(largest, std::stoi(row.method.substr(prefix.size())));
  }
  return largest;
}

// The comparisons summary.h lists, in row order.
// When `later`'s policy is worse than `earlier`'s on the same held-out items beyond noise (B - A < 0 with
// p < kDriftPValue), a DRIFT line; otherwise "".
std::string held_out_drift(const SummaryComparison& comparison, const SummaryRow& earlier, const SummaryRow& later) {
  const PairedDifference& r = comparison.result;
  if (later.target != "policy" || r.difference >= 0 || r.p_value >= kDriftPValue) return {};
  std::ostringstream p;
  p.precision(2);
  p << r.p_value;
  return "DRIFT between stages " + earlier.stage + " and " + later.stage + ": the policy's " + later.method +
         " on the same held-out items fell from " + fixed(r.accuracy_a, 3) + " to " + fixed(r.accuracy_b, 3) + " (" +
         fixed(r.difference, 3) + " ± " + fixed(r.std_error, 3) + ", p " + p.str() +
         "): it got worse at the verified task while training on its reward";
}

std::vector<SummaryComparison> claimed_comparisons(const std::vector<SummaryRow>& rows,
                                                   std::vector<std::string>& drift) {
  std::vector<SummaryComparison> out;
  std::vector<std::string> grm_stages;
  for (const SummaryRow& row : rows) {
    if (row.target == "grm" && std::find(grm_stages.begin(), grm_stages.end(), row.stage) == grm_stages.end()) {
      grm_stages.push_back(row.stage);
    }
  }
  for (const std::string& stage : grm_stages) {
    const int k = largest_k(rows, stage, "voting@");
    const std::string voting_k = "voting@" + std::to_string(k);
    const SummaryRow* one = find_row(rows, stage, "voting@1");
    const SummaryRow* many = find_row(rows, stage, voting_k);
    if (k > 1 && one != nullptr && many != nullptr) {
      out.push_back(compare(voting_k + " vs voting@1 (" + stage + ")", *one, *many));
    }
    const SummaryRow* meta = find_row(rows, stage, "metarm@" + std::to_string(k));
    if (meta != nullptr && many != nullptr) {
      out.push_back(compare("metarm@" + std::to_string(k) + " vs " + voting_k + " (" + stage + ")", *many, *meta));
    }
  }
  const auto comparable = [](const SummaryRow& earlier, const SummaryRow& later) {
    return earlier.stage != later.stage && earlier.target == later.target && earlier.method == later.method &&
           earlier.per_item.size() == later.per_item.size();
  };
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const SummaryRow& later = rows[j];
    if (later.per_item.empty()) continue;
    // The nearest earlier row of another stage with the same target, method and item count.
    for (std::size_t i = j; i-- > 0;) {
      if (!comparable(rows[i], later)) continue;
      out.push_back(compare(later.stage + " vs " + rows[i].stage + ": " + later.method, rows[i], later));
      break;
    }
    // Drift is judged against the first such row, the policy before any training the report covers: two
    // trained policies (the arms of an ablation) may differ without either having got worse.
    for (std::size_t i = 0; i < j; ++i) {
      if (!comparable(rows[i], later)) continue;
      drift.push_back(held_out_drift(compare("", rows[i], later), rows[i], later));
      break;
    }
  }
  return out;
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

// A p-value with two significant digits, "<0.0001" below that.
std::string p_text(double p) {
  if (p < 1e-4) return "<0.0001";
  std::ostringstream out;
  out.precision(2);
  out << p;
  return out.str();
}

}  // namespace

Summary build_summary(const std::string& pipeline_name, const std::vector<EvalStageDir>& stages) {
  Summary summary;
  summary.pipeline = pipeline_name;
  std::vector<std::string> drift;
  for (const EvalStageDir& stage : stages) add_rows(stage, summary.rows, drift);
  summary.comparisons = claimed_comparisons(summary.rows, drift);
  for (std::string& warning : drift) {
    if (!warning.empty()) summary.drift.push_back(std::move(warning));
  }
  return summary;
}

std::string Summary::markdown() const {
  std::ostringstream out;
  out << "| stage | target | method | accuracy | ± s.e. | n |\n|---|---|---|---|---|---|\n";
  for (const SummaryRow& row : rows) {
    out << "| " << row.stage << " | " << row.target << " | " << row.method << " | " << fixed(row.accuracy, 3) << " | "
        << fixed(row.std_error, 3) << " | " << row.items << " |\n";
  }
  for (const std::string& warning : drift) out << "\n" << warning << "\n";
  if (comparisons.empty()) return out.str();
  out << "\nPaired comparisons on the same items (B - A; p: two-sided, normal approximation):\n\n"
      << "| comparison | A | B | B - A | ± s.e. | p | n |\n|---|---|---|---|---|---|---|\n";
  for (const SummaryComparison& c : comparisons) {
    out << "| " << c.name << " | " << fixed(c.result.accuracy_a, 3) << " | " << fixed(c.result.accuracy_b, 3) << " | "
        << (c.result.difference >= 0 ? "+" : "") << fixed(c.result.difference, 3) << " | "
        << fixed(c.result.std_error, 3) << " | " << p_text(c.result.p_value) << " | " << c.result.items << " |\n";
  }
  return out.str();
}

std::string Summary::json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const SummaryRow& row : rows) {
    list.push_back({{"stage", row.stage},
                    {"target", row.target},
                    {"method", row.method},
                    {"model", row.model},
                    {"accuracy", row.accuracy},
                    {"correct", row.correct},
                    {"items", row.items},
                    {"std_error", row.std_error}});
  }
  nlohmann::json compared = nlohmann::json::array();
  for (const SummaryComparison& c : comparisons) {
    compared.push_back({{"name", c.name},
                        {"a", c.a},
                        {"b", c.b},
                        {"items", c.result.items},
                        {"accuracy_a", c.result.accuracy_a},
                        {"accuracy_b", c.result.accuracy_b},
                        {"difference", c.result.difference},
                        {"std_error", c.result.std_error},
                        {"p_value", c.result.p_value}});
  }
  return nlohmann::json{{"pipeline", pipeline}, {"rows", list}, {"comparisons", compared}, {"drift", drift}}.dump(2) +
         "\n";
}

void write_summary(const Summary& summary, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create " + dir + ": " + error.message());
  write_file_atomically(std::filesystem::path(dir) / "summary.md", summary.markdown());
  write_file_atomically(std::filesystem::path(dir) / "summary.json", summary.json());
}

}  // namespace spct::pipeline
