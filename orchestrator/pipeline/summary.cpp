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
  SummaryRow row{stage.name, target, method, model, 0, correct, items, 0};
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
  return row;
}

// The mean and standard error (over steps) of verifier/accuracy in steps [begin, end) of `values`.
SummaryRow training_row(const EvalStageDir& stage, const std::string& method, const std::vector<double>& values,
                        std::size_t begin, std::size_t end) {
  const std::vector<double> window(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                   values.begin() + static_cast<std::ptrdiff_t>(end));
  SummaryRow row{stage.name, "policy", method, "", 0, 0, static_cast<int64_t>(window.size()), 0};
  double sum = 0;
  for (const double value : window) sum += value;
  row.accuracy = sum / static_cast<double>(window.size());
  row.std_error = std_error_of_mean(window);
  return row;
}

// A training stage: the sampled verifier accuracy of its first and last kTrainingWindow steps.
void add_training_rows(const EvalStageDir& stage, std::vector<SummaryRow>& rows) {
  const std::string file = (std::filesystem::path(stage.run_dir) / "metrics.jsonl").string();
  std::ifstream in(file);
  if (!in) throw InputError(file + ": cannot read the metrics of stage '" + stage.name + "' (did it run?)");
  std::vector<double> accuracy;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const json step = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!step.is_object()) throw InputError(file + ":" + std::to_string(number) + ": not a JSON object");
    const auto it = step.find("verifier/accuracy");
    if (it != step.end() && it->is_number()) accuracy.push_back(it->get<double>());
  }
  if (accuracy.empty()) {
    throw InputError(file + ": no step has \"verifier/accuracy\" (a report reads it from GRPO stages only)");
  }
  const std::size_t window = std::min(kTrainingWindow, accuracy.size());
  const std::string steps = " " + std::to_string(window) + " steps";
  rows.push_back(training_row(stage, "sampled verifier accuracy, first" + steps, accuracy, 0, window));
  rows.push_back(training_row(stage, "sampled verifier accuracy, last" + steps, accuracy, accuracy.size() - window,
                              accuracy.size()));
}

void add_rows(const EvalStageDir& stage, std::vector<SummaryRow>& rows) {
  const std::string file = (std::filesystem::path(stage.run_dir) / "eval.json").string();
  if (!std::filesystem::exists(file) &&
      std::filesystem::exists(std::filesystem::path(stage.run_dir) / "metrics.jsonl")) {
    add_training_rows(stage, rows);
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
    const auto sampled = doc.find("sampled");
    if (sampled != doc.end()) rows.push_back(sampled_row(stage, model, *sampled, items, file));
    return;
  }
  if (target != "grm") throw InputError(file + ": \"target\" is \"" + target + "\", not policy or grm");
  const json methods = field<json>(doc, "methods", file);
  if (!methods.is_array() || methods.empty()) throw InputError(file + ": \"methods\" is not a non-empty list");
  for (const json& method : methods) {
    rows.push_back(make_row(stage, target, field<std::string>(method, "name", file), model,
                            field<int64_t>(method, "correct", file), field<int64_t>(method, "total", file)));
  }
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

}  // namespace

Summary build_summary(const std::string& pipeline_name, const std::vector<EvalStageDir>& stages) {
  Summary summary;
  summary.pipeline = pipeline_name;
  for (const EvalStageDir& stage : stages) add_rows(stage, summary.rows);
  return summary;
}

std::string Summary::markdown() const {
  std::ostringstream out;
  out << "| stage | target | method | accuracy | ± s.e. | n |\n|---|---|---|---|---|---|\n";
  for (const SummaryRow& row : rows) {
    out << "| " << row.stage << " | " << row.target << " | " << row.method << " | " << fixed(row.accuracy, 3) << " | "
        << fixed(row.std_error, 3) << " | " << row.items << " |\n";
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
  return nlohmann::json{{"pipeline", pipeline}, {"rows", list}}.dump(2) + "\n";
}

void write_summary(const Summary& summary, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create " + dir + ": " + error.message());
  write_file_atomically(std::filesystem::path(dir) / "summary.md", summary.markdown());
  write_file_atomically(std::filesystem::path(dir) / "summary.json", summary.json());
}

}  // namespace spct::pipeline
