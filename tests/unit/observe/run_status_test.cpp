// The status endpoint's two bodies: /status JSON and /metrics in Prometheus text format, checked by parsing the
// exposition line by line.
#include "orchestrator/observe/run_status.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace spct::observe {
namespace {

RunStatus sample_status() {
  RunStatus status;
  status.run = "grm \"rl\"";
  status.run_dir = "runs/grm";
  status.phase = "train";
  status.steps_done = 12;
  status.total_steps = 40;
  status.elapsed_s = 30.5;
  status.eta_s = 70;
  status.seconds_per_step = 2.5;
  status.last_step = 11;
  status.metrics = {{"reward/mean", 0.41}, {"loss/kl", 1e-6}, {"grm/parse-fail rate", std::nan("")}};
  return status;
}

struct Family {
  std::string help;
  std::string type;
  std::vector<std::string> samples;  // "name{labels} value"
};

// Groups the exposition into families and checks the format's rules on the way: a family's HELP and TYPE come
// before its samples, and no family appears twice.
std::map<std::string, Family> parse_exposition(const std::string& text) {
  std::map<std::string, Family> families;
  std::istringstream in(text);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      REQUIRE(families.count(current) == 0);
      families[current].help = line.substr(8 + current.size());
    } else if (line.rfind("# TYPE ", 0) == 0) {
      REQUIRE(line.substr(7, current.size()) == current);
      families[current].type = line.substr(8 + current.size());
    } else {
      REQUIRE(line.substr(0, current.size() + 1) == current + "{");
      families[current].samples.push_back(line);
    }
  }
  return families;
}

double sample_value(const std::string& sample) {
  return std::stod(sample.substr(sample.rfind(' ') + 1));
}

}  // namespace

TEST_CASE("metric names become Prometheus names with the spct_ prefix") {
  CHECK(prometheus_name("reward/mean") == "spct_reward_mean");
  CHECK(prometheus_name("reward/grm.vote@k") == "spct_reward_grm_vote_k");
  CHECK(prometheus_name("time/step_s") == "spct_time_step_s");
  CHECK(prometheus_name("8bit") == "spct_8bit");
}

TEST_CASE("/metrics is valid Prometheus text with HELP, TYPE and the run label on every sample") {
  const std::map<std::string, Family> families = parse_exposition(prometheus_text(sample_status()));
  for (const auto& [name, family] : families) {
    INFO(name);
    CHECK_THAT(name, Catch::Matchers::StartsWith("spct_"));
    CHECK(family.type == "gauge");
    CHECK_FALSE(family.help.empty());
    REQUIRE(family.samples.size() == 1);
    CHECK_THAT(family.samples[0], Catch::Matchers::Contains("run=\"grm \\\"rl\\\"\""));
  }
  REQUIRE(families.count("spct_info") == 1);
  CHECK_THAT(families.at("spct_info").samples[0],
             Catch::Matchers::Contains("phase=\"train\"") && Catch::Matchers::Contains("state=\"running\""));
  CHECK(sample_value(families.at("spct_steps_done").samples[0]) == 12);
  CHECK(sample_value(families.at("spct_total_steps").samples[0]) == 40);
  CHECK(sample_value(families.at("spct_eta_seconds").samples[0]) == 70);
  CHECK(sample_value(families.at("spct_reward_mean").samples[0]) == 0.41);
  CHECK(sample_value(families.at("spct_loss_kl").samples[0]) == 1e-6);
  CHECK_THAT(families.at("spct_grm_parse_fail_rate").samples[0], Catch::Matchers::EndsWith(" NaN"));
  CHECK(families.count("spct_ranks_alive") == 0);  // not known, not exported
}

TEST_CASE("/metrics exports ranks when known and one family for names that sanitise alike") {
  RunStatus status = sample_status();
  status.ranks_alive = 4;
  status.ranks_total = 5;
  status.metrics = {{"a/b", 1}, {"a_b", 2}, {"x", std::numeric_limits<double>::infinity()}};
  const std::map<std::string, Family> families = parse_exposition(prometheus_text(status));
  CHECK(sample_value(families.at("spct_ranks_alive").samples[0]) == 4);
  CHECK(sample_value(families.at("spct_ranks_total").samples[0]) == 5);
  CHECK(sample_value(families.at("spct_a_b").samples[0]) == 1);  // "a/b" sorts first
  CHECK_THAT(families.at("spct_x").samples[0], Catch::Matchers::EndsWith(" +Inf"));
}

TEST_CASE("/status is JSON with the run, progress, phase, ETA and the last metrics") {
  const nlohmann::json body = nlohmann::json::parse(status_json(sample_status()));
  CHECK(body["run"] == "grm \"rl\"");
  CHECK(body["run_dir"] == "runs/grm");
  CHECK(body["phase"] == "train");
  CHECK(body["state"] == "running");
  CHECK(body["step"] == 12);
  CHECK(body["total_steps"] == 40);
  CHECK(body["eta_s"] == 70.0);
  CHECK(body["last_step"] == 11);
  CHECK(body["ranks_alive"].is_null());
  CHECK(body["ranks"].is_array());
  CHECK(body["ranks"].empty());
  CHECK(body["metrics"]["reward/mean"] == 0.41);
  CHECK(body["metrics"]["grm/parse-fail rate"].is_null());
}

TEST_CASE("/status lists every rank with its role and the last step it answered in") {
  RunStatus status = sample_status();
  status.ranks_alive = 2;
  status.ranks_total = 3;
  status.ranks = {{0, "orchestrator", 11}, {1, "rollout worker", 11}, {2, "learner", std::nullopt}};
  const nlohmann::json body = nlohmann::json::parse(status_json(status));
  CHECK(body["ranks_alive"] == 2);
  CHECK(body["ranks_total"] == 3);
  REQUIRE(body["ranks"].size() == 3);
  CHECK(body["ranks"][1] == nlohmann::json({{"rank", 1}, {"role", "rollout worker"}, {"last_step", 11}}));
  CHECK(body["ranks"][2]["last_step"].is_null());
}

}  // namespace spct::observe
