#include "orchestrator/observe/run_status.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace spct::observe {
namespace {

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Sample values as Prometheus parses them (Go's ParseFloat): shortest round-trip decimals, NaN, +Inf, -Inf.
std::string sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// Writes one gauge family with a single sample, unless a family of that name was already written.
class Exposition {
 public:
  explicit Exposition(const std::string& run) : run_label_("run=\"" + escape(run, true) + "\"") {}

  void gauge(const std::string& name, std::string_view help, double value, const std::string& extra_labels = "") {
    if (!written_.insert(name).second) return;
    text_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{}{{{}{}}} {}\n", name, escape(help, false), name, name,
                         run_label_, extra_labels, sample_value(value));
  }

  const std::string& text() const { return text_; }

 private:
  const std::string run_label_;
  std::set<std::string> written_;
  std::string text_;
};

}  // namespace

std::string status_json(const RunStatus& status) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, value] : status.metrics) {
    metrics[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  nlohmann::json ranks = nlohmann::json::array();
  for (const RankSeen& rank : status.ranks) {
    ranks.push_back({{"rank", rank.rank}, {"role", rank.role}, {"last_step", or_null(rank.last_step)}});
  }
  const nlohmann::json body = {
      {"run", status.run},
      {"run_dir", status.run_dir},
      {"phase", status.phase},
      {"state", status.state},
      {"step", status.steps_done},
      {"total_steps", status.total_steps},
      {"elapsed_s", status.elapsed_s},
      {"eta_s", or_null(status.eta_s)},
      {"seconds_per_step", or_null(status.seconds_per_step)},
      {"ranks_alive", or_null(status.ranks_alive)},
      {"ranks_total", or_null(status.ranks_total)},
      {"ranks", ranks},
      {"last_step", or_null(status.last_step)},
      {"metrics", metrics},
  };
  return body.dump() + "\n";
}

std::string prometheus_name(std::string_view metric) {
  std::string name = "spct_";
  for (const char c : metric) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    name += keep ? c : '_';
  }
  return name;
}

std::string prometheus_text(const RunStatus& status) {
  Exposition out(status.run);
  out.gauge("spct_info", "The run with its current phase and state as labels; always 1.", 1,
            fmt::format(",phase=\"{}\",state=\"{}\"", escape(status.phase, true), escape(status.state, true)));
  out.gauge("spct_steps_done", "Training steps finished.", static_cast<double>(status.steps_done));
  out.gauge("spct_total_steps", "Training steps the run will take (run.steps).",
            static_cast<double>(status.total_steps));
  out.gauge("spct_elapsed_seconds", "Seconds since the orchestrator started monitoring the run.", status.elapsed_s);
  if (status.eta_s) out.gauge("spct_eta_seconds", "Estimated seconds until the last step is done.", *status.eta_s);
  if (status.ranks_alive) {
    out.gauge("spct_ranks_alive", "MPI ranks that answered in the last step.",
              static_cast<double>(*status.ranks_alive));
  }
  if (status.ranks_total)
    out.gauge("spct_ranks_total", "MPI ranks of the job.", static_cast<double>(*status.ranks_total));
  for (const auto& [metric, value] : status.metrics) {
    out.gauge(prometheus_name(metric), fmt::format("{} of the last step (docs/metrics.md).", metric), value);
  }
  return out.text();
}

}  // namespace spct::observe
