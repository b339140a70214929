// RemoteCritiqueSampler against small OpenAI-compatible servers written here (HttpServer with scripted
// handlers) over loopback: request shape and batching, retries, timeouts, garbage, the fallbacks, the
// concurrency limit, the circuit breaker, the report of a long wait and the config mapping. The sampler against `spct
// serve` is tests/e2e/serve/.

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/http/http_server.h"
#include "tests/unit/http/captured_log.h"
#include "workers/reward/grm/score_parser.h"
#include "workers/reward/grm_remote/remote_critique_sampler.h"

namespace spct::grm {
namespace {

using http::HttpServer;
using http::Request;
using http::Response;

// Answers a completions request the way an OpenAI-compatible server does: n choices, text "<prompt>#<i>",
// listed in reverse index order (clients must use "index", not the position).
Response complete_ok(const Request& request) {
  const nlohmann::json body = nlohmann::json::parse(request.body);
  nlohmann::json choices = nlohmann::json::array();
  for (int i = body.at("n").get<int>() - 1; i >= 0; --i) {
    choices.push_back({{"index", i}, {"text", body.at("prompt").get<std::string>() + "#" + std::to_string(i)}});
  }
  Response response;
  response.body = nlohmann::json{{"object", "text_completion"}, {"choices", choices}}.dump();
  return response;
}

RemoteSamplerOptions options_for(const HttpServer& server) {
  RemoteSamplerOptions options;
  options.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()), "test");
  options.timeout_s = 5;
  options.retries = 2;
  options.backoff_initial_s = 0.01;
  options.backoff_max_s = 0.05;
  return options;
}

TEST_CASE("remote sampler sends each distinct prompt once with n = its count, in the completions shape") {
  std::mutex mutex;
  std::vector<nlohmann::json> bodies;
  std::vector<std::string> auth;
  HttpServer server({}, [&](const Request& request) {
    {
      std::lock_guard lock(mutex);
      bodies.push_back(nlohmann::json::parse(request.body));
      auth.emplace_back(request.header("Authorization"));
    }
    CHECK(request.method == "POST");
    CHECK(request.target == "/v1/completions");
    return complete_ok(request);
  });
  RemoteSamplerOptions options = options_for(server);
  options.model = "my-grm";
  options.max_tokens = 77;
  options.api_key = "s3cret";
  options.stop = {"}"};
  RemoteCritiqueSampler sampler(options);

  const std::vector<std::string> critiques = sampler.generate({"a", "b", "a", "a"}, 0.5);
  CHECK(critiques == std::vector<std::string>{"a#0", "b#0", "a#1", "a#2"});
  REQUIRE(bodies.size() == 2);
  for (const auto& body : bodies) {
    CHECK(body.at("model") == "my-grm");
    CHECK(body.at("max_tokens") == 77);
    CHECK(body.at("temperature") == 0.5);
    CHECK(body.at("stop") == nlohmann::json::array({"}"}));
    CHECK(body.at("include_stop_str_in_output") == true);
    CHECK(body.at("n") == (body.at("prompt") == "a" ? 3 : 1));
  }
  CHECK(bodies[0].at("seed") != bodies[1].at("seed"));
  CHECK(auth == std::vector<std::string>{"Bearer s3cret", "Bearer s3cret"});

  const RemoteCounters counters = sampler.counters();
  CHECK(counters.requests == 2);
  CHECK(counters.retries == 0);
  CHECK(counters.failures == 0);
  CHECK(sampler.metrics().at("grm_remote/latency_mean_s") > 0);
}

TEST_CASE("remote sampler retries a 500 and succeeds on the next answer") {
  std::atomic<int> calls{0};
  HttpServer server({}, [&](const Request& request) {
    if (calls++ == 0) return Response::json_error(500, "warming up");
    return complete_ok(request);
  });
  RemoteCritiqueSampler sampler(options_for(server));
  CHECK(sampler.generate({"q"}, 1.0) == std::vector<std::string>{"q#0"});
  CHECK(sampler.counters().requests == 2);
  CHECK(sampler.counters().retries == 1);
  CHECK(sampler.counters().failures == 0);
}

TEST_CASE("remote sampler never retries a 4xx and names the URL and status") {
  std::atomic<int> calls{0};
  HttpServer server({}, [&](const Request&) {
    ++calls;
    return Response::json_error(401, "missing bearer token");
  });
  RemoteCritiqueSampler sampler(options_for(server));
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/completions";
  CHECK_THROWS_WITH(sampler.generate({"q"}, 1.0), Catch::Matchers::Contains("remote GRM " + url + ": status 401") &&
                                                      Catch::Matchers::Contains("missing bearer token") &&
                                                      Catch::Matchers::Contains("(1 attempt)"));
  CHECK(calls == 1);
  CHECK(sampler.counters().failures == 1);
}

TEST_CASE("remote sampler gives up on a stalled server within its deadlines") {
  std::mutex mutex;
  std::condition_variable release;
  bool done = false;
  HttpServer server({}, [&](const Request&) {
    std::unique_lock lock(mutex);
    release.wait_for(lock, std::chrono::seconds(20), [&] { return done; });
    return Response{};
  });
  RemoteSamplerOptions options = options_for(server);
  options.timeout_s = 0.3;
  options.retries = 1;
  RemoteCritiqueSampler sampler(options);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(sampler.generate({"q"}, 1.0), Catch::Matchers::Contains("no complete response within 0.3 s") &&
                                                      Catch::Matchers::Contains("(2 attempts)"));
  // Two attempts of 0.3 s and one short backoff.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(sampler.counters().timeouts == 2);
  CHECK(sampler.counters().retries == 1);
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  release.notify_all();
}

TEST_CASE("remote sampler treats garbage as a failure, and the unparsable fallback turns it into critiques") {
  HttpServer server({}, [](const Request&) {
    Response response;
    response.body = "{\"choices\": [{\"text\": \"\\\\boxed{3,";  // truncated JSON
    return response;
  });
  RemoteSamplerOptions options = options_for(server);
  SECTION("fail") {
    RemoteCritiqueSampler sampler(options);
    CHECK_THROWS_WITH(sampler.generate({"q", "q"}, 1.0), Catch::Matchers::Contains("response is not JSON"));
    CHECK(sampler.counters().requests == 1);  // an answer in the wrong shape is not retried
  }
  SECTION("unparsable") {
    options.fallback = RemoteSamplerOptions::Fallback::kUnparsable;
    RemoteCritiqueSampler sampler(options);
    const std::vector<std::string> critiques = sampler.generate({"q", "r", "q"}, 1.0);
    REQUIRE(critiques.size() == 3);
    for (const std::string& critique : critiques) {
      CHECK_THAT(critique, Catch::Matchers::StartsWith("[remote GRM failed: "));
      CHECK_FALSE(parse_scores(critique, ScoreSpec{2, 1, 10}).ok());
    }
    CHECK(sampler.counters().failures == 2);
  }
}

TEST_CASE("remote sampler against an unreachable server: retried connection errors, then the fallback") {
  uint16_t port = 0;
  {
    HttpServer gone({}, complete_ok);
    port = gone.port();
  }
  RemoteSamplerOptions options;
  options.url = http::Url::parse("http://127.0.0.1:" + std::to_string(port), "test");
  options.retries = 2;
  options.backoff_initial_s = 0.01;
  SECTION("fail") {
    RemoteCritiqueSampler sampler(options);
    CHECK_THROWS_WITH(sampler.generate({"q"}, 1.0),
                      Catch::Matchers::Contains("http://127.0.0.1:" + std::to_string(port)) &&
                          Catch::Matchers::Contains("cannot connect") && Catch::Matchers::Contains("(3 attempts)"));
    CHECK(sampler.counters().requests == 3);
  }
  SECTION("unparsable") {
    options.fallback = RemoteSamplerOptions::Fallback::kUnparsable;
    RemoteCritiqueSampler sampler(options);
    CHECK_THAT(sampler.generate({"q"}, 1.0).front(), Catch::Matchers::Contains("cannot connect"));
  }
}

TEST_CASE("remote sampler keeps at most `concurrency` requests in flight") {
  std::mutex mutex;
  int in_flight = 0;
  int most = 0;
  http::ServerOptions server_options;
  server_options.handler_threads = 8;
  HttpServer server(server_options, [&](const Request& request) {
    {
      std::lock_guard lock(mutex);
      most = std::max(most, ++in_flight);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    return complete_ok(request);
  });
  RemoteSamplerOptions options = options_for(server);
  options.concurrency = 3;
  RemoteCritiqueSampler sampler(options);
  const std::vector<std::string> prompts = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  const std::vector<std::string> critiques = sampler.generate(prompts, 1.0);
  for (std::size_t i = 0; i < prompts.size(); ++i) CHECK(critiques[i] == prompts[i] + "#0");
  CHECK(most <= 3);
  CHECK(most >= 2);  // the requests did overlap
}

// A port nothing listens on: an HttpServer's ephemeral port, closed again.
uint16_t closed_port() {
  HttpServer gone({}, complete_ok);
  return gone.port();
}

TEST_CASE("remote sampler: an outage opens the circuit breaker, and later prompts fail fast without being sent") {
  RemoteSamplerOptions options;
  const uint16_t port = closed_port();
  options.url = http::Url::parse("http://127.0.0.1:" + std::to_string(port), "test");
  options.retries = 3;
  options.backoff_initial_s = 0.01;
  options.concurrency = 4;
  options.fallback = RemoteSamplerOptions::Fallback::kUnparsable;
  options.breaker = {.failures = 3, .cooldown_s = 3600};
  RemoteCritiqueSampler sampler(options);

  std::vector<std::string> prompts;
  prompts.reserve(16);
  for (int i = 0; i < 16; ++i) prompts.push_back("q" + std::to_string(i));
  const std::vector<std::string> critiques = sampler.generate(prompts, 1.0);
  const RemoteCounters counters = sampler.counters();
  // Without the breaker every prompt would be sent 1 + retries = 4 times (64 requests). With it: the 3 failures
  // that open it, and at most one more request per other thread that was already on its way.
  CHECK(counters.requests <= options.breaker.failures + options.concurrency - 1);
  CHECK(counters.breaker_trips == 1);
  CHECK(counters.fast_failures >= static_cast<int64_t>(prompts.size()) - counters.requests);
  CHECK(counters.failures == static_cast<int64_t>(prompts.size()));
  CHECK(counters.breaker_open == 1);
  CHECK(sampler.breaker_state() == CircuitBreaker::State::kOpen);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/completions";
  int refused = 0;
  for (const std::string& critique : critiques) {
    CHECK_THAT(critique, Catch::Matchers::Contains("remote GRM " + url));
    if (critique.find("circuit breaker open after 3 consecutive failures, the last: ") != std::string::npos) {
      CHECK_THAT(critique, Catch::Matchers::Contains("cannot connect to http://127.0.0.1:" + std::to_string(port)) &&
                               Catch::Matchers::Contains("grm.remote_breaker_cooldown_s"));
      ++refused;
    }
  }
  CHECK(refused >= static_cast<int>(prompts.size()) - options.concurrency);

  // The next pass, still within the cool-down, sends nothing at all; with fallback fail it throws naming the URL.
  CHECK_THAT(sampler.generate({"later"}, 1.0).front(), Catch::Matchers::Contains("circuit breaker open"));
  CHECK(sampler.counters().requests == counters.requests);
  options.fallback = RemoteSamplerOptions::Fallback::kFail;
  options.breaker.failures = 1;
  RemoteCritiqueSampler failing(options);
  CHECK_THROWS_WITH(failing.generate({"a"}, 1.0), Catch::Matchers::Contains("remote GRM " + url));
  CHECK_THROWS_WITH(failing.generate({"b"}, 1.0),
                    Catch::Matchers::Contains("remote GRM " + url + ": circuit breaker open after 1 consecutive"));
  CHECK(failing.counters().requests == 1);
}

TEST_CASE("remote sampler: after the cool-down one probe goes, its failure reopens, its success closes") {
  std::atomic<bool> down{true};
  std::atomic<int> calls{0};
  HttpServer server({}, [&](const Request& request) {
    ++calls;
    if (down) return Response::json_error(503, "overloaded");
    return complete_ok(request);
  });
  RemoteSamplerOptions options = options_for(server);
  options.retries = 0;
  options.concurrency = 1;
  options.fallback = RemoteSamplerOptions::Fallback::kUnparsable;
  options.breaker = {.failures = 2, .cooldown_s = 0.05};
  RemoteCritiqueSampler sampler(options);
  const auto past_cooldown = [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.breaker.cooldown_s * 2));
  };

  sampler.generate({"a", "b", "c", "d"}, 1.0);
  CHECK(calls >= 2);  // a and b fail and open the breaker (c and d are refused, or probe if the cool-down passed)
  CHECK(sampler.counters().breaker_trips >= 1);
  CHECK(sampler.counters().fast_failures + calls == 4);

  past_cooldown();
  const int before_probe = calls;
  const int64_t trips_before = sampler.counters().breaker_trips;
  CHECK_THAT(sampler.generate({"e"}, 1.0).front(), Catch::Matchers::Contains("status 503"));
  CHECK(calls == before_probe + 1);  // one probe, which failed
  CHECK(sampler.counters().breaker_trips == trips_before + 1);
  CHECK(sampler.breaker_state() == CircuitBreaker::State::kOpen);

  down = false;
  past_cooldown();
  CHECK(sampler.generate({"f", "g"}, 1.0) == std::vector<std::string>{"f#0", "g#0"});  // the probe, then g
  CHECK(sampler.breaker_state() == CircuitBreaker::State::kClosed);
  CHECK(sampler.counters().breaker_open >= 2);
}

TEST_CASE("remote sampler reports a long wait on the server, naming its URL") {
  testing::CapturedLog log;
  std::mutex mutex;
  std::condition_variable release;
  bool reported = false;
  HttpServer server({}, [&](const Request& request) {
    std::unique_lock lock(mutex);
    release.wait_for(lock, std::chrono::seconds(30), [&] { return reported; });
    return complete_ok(request);
  });
  RemoteSamplerOptions options = options_for(server);
  options.timeout_s = 60;
  options.report_every_s = 0.05;
  RemoteCritiqueSampler sampler(options);
  // The server answers only once the wait has been reported, so the report cannot be missed.
  std::thread reporter([&] {
    const std::string line = log.wait_for("waiting on remote GRM", std::chrono::seconds(30));
    CHECK_THAT(line, Catch::Matchers::Contains("waiting on remote GRM http://127.0.0.1:" +
                                               std::to_string(server.port()) + "/v1/completions") &&
                         Catch::Matchers::Contains("1 of 1 prompts not answered yet"));
    {
      std::lock_guard lock(mutex);
      reported = true;
    }
    release.notify_all();
  });
  CHECK(sampler.generate({"q"}, 1.0) == std::vector<std::string>{"q#0"});
  reporter.join();
  CHECK(reported);
}

TEST_CASE("remote sampler options come from the grm section and the environment") {
  config::Config config;
  config.grm.backend = spct::config::GrmBackend::kRemote;
  CHECK_THROWS_WITH(RemoteSamplerOptions::from_config(config.grm, 1, config.timeouts.step_s),
                    Catch::Matchers::Contains("grm.remote_url is empty"));
  config.grm.remote_url = "https://gpu:8000";
  CHECK_THROWS_WITH(RemoteSamplerOptions::from_config(config.grm, 1, config.timeouts.step_s),
                    Catch::Matchers::Contains("grm.remote_url"));
  config.grm.remote_url = "http://gpu:8000/v";
  config.grm.remote_api_key_env = "SPCT_TEST_REMOTE_TOKEN_UNSET";
  ::unsetenv("SPCT_TEST_REMOTE_TOKEN_UNSET");
  CHECK_THROWS_WITH(RemoteSamplerOptions::from_config(config.grm, 1, config.timeouts.step_s),
                    Catch::Matchers::Contains("SPCT_TEST_REMOTE_TOKEN_UNSET is not set"));
  ::setenv("SPCT_TEST_REMOTE_TOKEN_UNSET", "tok", 1);
  config.grm.remote_fallback = spct::config::RemoteFallback::kUnparsable;
  config.grm.remote_concurrency = 7;
  config.grm.max_new_tokens = 99;
  const RemoteSamplerOptions options = RemoteSamplerOptions::from_config(config.grm, 1, config.timeouts.step_s);
  CHECK(options.url.host == "gpu");
  CHECK(options.url.base_path == "/v");
  CHECK(options.api_key == "tok");
  CHECK(options.fallback == RemoteSamplerOptions::Fallback::kUnparsable);
  CHECK(options.concurrency == 7);
  CHECK(options.max_tokens == 99);
  CHECK(options.breaker.failures == config.grm.remote_breaker_failures);
  CHECK(options.breaker.cooldown_s == config.grm.remote_breaker_cooldown_s);
  CHECK(options.report_every_s == config.timeouts.step_s / 4);
  ::unsetenv("SPCT_TEST_REMOTE_TOKEN_UNSET");
}

}  // namespace
}  // namespace spct::grm
