// The status endpoint: routing, then real HTTP over loopback against a StatusServer and a RunMonitor.
#include "orchestrator/observe/status_server.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config/loader.h"
#include "core/error.h"
#include "core/http/http_client.h"
#include "orchestrator/observe/run_monitor.h"
#include "orchestrator/run/run_directory.h"
#include "tests/unit/config/test_files.h"

namespace spct::observe {
namespace {

http::Request request(const std::string& method, const std::string& target) {
  http::Request r;
  r.method = method;
  r.target = target;
  return r;
}

RunStatus status_at(int64_t steps) {
  RunStatus status;
  status.run = "s";
  status.phase = "train";
  status.steps_done = steps;
  status.total_steps = 10;
  status.metrics = {{"reward/mean", 0.5}};
  return status;
}

// A port that was free a moment ago: taken from the kernel's ephemeral range and released.
uint16_t free_port() {
  StatusServer probe("127.0.0.1", 0, [] { return RunStatus{}; });
  return probe.port();
}

}  // namespace

TEST_CASE("/status and /metrics answer GET, other paths 404 and other methods 405") {
  const RunStatus status = status_at(3);
  const http::Response json = status_endpoint_response(request("GET", "/status"), status);
  CHECK(json.status == 200);
  CHECK(json.content_type == "application/json");
  CHECK(nlohmann::json::parse(json.body)["step"] == 3);

  const http::Response metrics = status_endpoint_response(request("GET", "/metrics?name[]=x"), status);
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.content_type, Catch::Matchers::StartsWith("text/plain; version=0.0.4"));
  CHECK_THAT(metrics.body, Catch::Matchers::Contains("spct_steps_done{run=\"s\"} 3\n"));

  const http::Response missing = status_endpoint_response(request("GET", "/"), status);
  CHECK(missing.status == 404);
  CHECK_THAT(missing.body, Catch::Matchers::Contains("/status or /metrics"));
  const http::Response post = status_endpoint_response(request("POST", "/status"), status);
  CHECK(post.status == 405);
  CHECK(post.header("Allow") == "GET");
}

TEST_CASE("a status server answers over loopback with the status of the moment") {
  std::atomic<int64_t> steps{1};
  StatusServer server("127.0.0.1", 0, [&] { return status_at(steps.load()); });
  REQUIRE(server.port() > 0);
  http::HttpClient client("127.0.0.1", server.port(), {.connect_timeout_s = 5, .request_timeout_s = 5});
  http::Response response = client.get("/status");
  CHECK(response.status == 200);
  CHECK(nlohmann::json::parse(response.body)["step"] == 1);
  steps = 7;
  response = client.get("/metrics");
  CHECK(response.status == 200);
  CHECK_THAT(response.body, Catch::Matchers::Contains("spct_steps_done{run=\"s\"} 7\n") &&
                                Catch::Matchers::Contains("spct_reward_mean{run=\"s\"} 0.5\n"));
  CHECK(client.get("/other").status == 404);
}

TEST_CASE("a taken port or a bad address is a usage error naming the observe keys") {
  StatusServer first("127.0.0.1", 0, [] { return RunStatus{}; });
  CHECK_THROWS_AS(StatusServer("127.0.0.1", first.port(), [] { return RunStatus{}; }), UsageError);
  CHECK_THROWS_WITH(StatusServer("127.0.0.1", first.port(), [] { return RunStatus{}; }),
                    Catch::Matchers::Contains("observe.status_port") &&
                        Catch::Matchers::Contains("127.0.0.1:" + std::to_string(first.port())));
  CHECK_THROWS_WITH(StatusServer("not an address", 0, [] { return RunStatus{}; }),
                    Catch::Matchers::Contains("observe.status_host"));
}

TEST_CASE("check_status_endpoint refuses a port another socket holds, naming the key and the port") {
  const StatusServer holder("127.0.0.1", 0, [] { return RunStatus{}; });
  const std::string port = std::to_string(holder.port());
  const config::ResolvedConfig taken = config::load_config("", {"observe.status_port=" + port});
  CHECK_THROWS_AS(check_status_endpoint(taken.config), UsageError);
  CHECK_THROWS_WITH(check_status_endpoint(taken.config), Catch::Matchers::Contains("observe.status_port") &&
                                                             Catch::Matchers::Contains("127.0.0.1:" + port) &&
                                                             Catch::Matchers::Contains("Address already in use"));
  // The holder still answers: the check took nothing from it.
  http::HttpClient client("127.0.0.1", holder.port(), {.connect_timeout_s = 5, .request_timeout_s = 5});
  CHECK(client.get("/status").status == 200);
}

TEST_CASE("check_status_endpoint passes a free port and leaves it free, and does nothing with no endpoint") {
  const uint16_t port = free_port();
  const config::ResolvedConfig free = config::load_config("", {"observe.status_port=" + std::to_string(port)});
  CHECK_NOTHROW(check_status_endpoint(free.config));
  CHECK_NOTHROW(StatusServer("127.0.0.1", port, [] { return RunStatus{}; }));  // released again
  const config::ResolvedConfig off = config::load_config("", {"observe.status_port=0"});
  CHECK_NOTHROW(check_status_endpoint(off.config));
}

TEST_CASE("a run monitor with observe.status_port serves its steps, phase and final state") {
  testing::TempDir dir;
  const uint16_t port = free_port();
  const config::ResolvedConfig resolved = config::load_config(
      "", {"run.dir=" + dir.path(), "run.name=served", "run.steps=4", "observe.status_port=" + std::to_string(port),
           "layout.colocate=false", "layout.rollout_workers=1", "layout.reward_workers=1", "layout.learners=2",
           "grpo.minibatches=1", "rollout.prompts_per_step=8"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  CHECK(monitor.status_port() == port);
  http::HttpClient client("127.0.0.1", port, {.connect_timeout_s = 5, .request_timeout_s = 5});

  monitor.set_phase("train");
  monitor.on_step(0, {{"reward/mean", 0.25}, {"time/step_s", 1.0}});
  nlohmann::json status = nlohmann::json::parse(client.get("/status").body);
  CHECK(status["run"] == "served");
  CHECK(status["phase"] == "train");
  CHECK(status["step"] == 1);
  CHECK(status["eta_s"] == Approx(3.0));
  CHECK(status["ranks_total"] == 5);  // orchestrator, rollout worker, reward worker, 2 learners
  CHECK(status["ranks_alive"].is_null());
  monitor.on_stop_agreed(0);
  status = nlohmann::json::parse(client.get("/status").body);
  CHECK(status["ranks_alive"] == 5);
  REQUIRE(status["ranks"].size() == 5);
  CHECK(status["ranks"][4] == nlohmann::json({{"rank", 4}, {"role", "learner"}, {"last_step", 0}}));
  CHECK_THAT(client.get("/metrics").body,
             Catch::Matchers::Contains("spct_info{run=\"served\",phase=\"train\",state=\"running\"} 1") &&
                 Catch::Matchers::Contains("spct_reward_mean{run=\"served\"} 0.25"));

  monitor.on_finish("finished");
  status = nlohmann::json::parse(client.get("/status").body);
  CHECK(status["state"] == "finished");
  CHECK(status["eta_s"].is_null());
}

}  // namespace spct::observe
