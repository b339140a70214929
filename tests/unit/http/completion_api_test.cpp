// The completions API of `spct serve` at the JSON and routing level, with a scripted completer: request
// validation, stop strings, the response shape, authentication, the error statuses and their log lines.
#include "orchestrator/serve/completion_api.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/serve/completion_routes.h"
#include "tests/unit/http/captured_log.h"

namespace spct::serve {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;

TEST_CASE("completion requests parse with defaults and every field") {
  const CompletionRequest plain = parse_completion_request(R"({"prompt": "2+2="})", {});
  CHECK(plain.prompts == std::vector<std::string>{"2+2="});
  CHECK(plain.n == 1);
  CHECK(plain.max_tokens == 16);
  CHECK(plain.temperature == 1.0);
  CHECK(!plain.seed);
  CHECK(plain.stop.empty());

  const CompletionRequest full = parse_completion_request(
      R"({"model": "m", "prompt": ["a", "b"], "n": 3, "max_tokens": 5, "temperature": 0, "top_p": 0.5,
          "seed": 18446744073709551615, "stop": "}", "include_stop_str_in_output": true, "stream": false})",
      {});
  CHECK(full.model == "m");
  CHECK(full.prompts == std::vector<std::string>{"a", "b"});
  CHECK(full.n == 3);
  CHECK(full.max_tokens == 5);
  CHECK(full.temperature == 0);
  CHECK(full.top_p == 0.5);
  CHECK(full.seed == 18446744073709551615ull);
  CHECK(full.stop == std::vector<std::string>{"}"});
  CHECK(full.include_stop_str_in_output);
}

TEST_CASE("bad completion requests are refused naming the field") {
  ApiLimits limits;
  limits.max_n = 4;
  limits.max_tokens = 100;
  const auto refused = [&](const std::string& body) {
    try {
      parse_completion_request(body, limits);
    } catch (const ApiError& e) {
      CHECK(e.status() == 400);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refused("{\"prompt\": \"x\""), Contains("not valid JSON"));
  CHECK_THAT(refused("[1]"), Contains("must be a JSON object"));
  CHECK_THAT(refused("{}"), Contains("\"prompt\" is missing"));
  CHECK_THAT(refused(R"({"prompt": 3})"), Contains("\"prompt\" must be a string or an array"));
  CHECK_THAT(refused(R"({"prompt": ["a", ""]})"), Contains("\"prompt\"[1] is empty"));
  CHECK_THAT(refused(R"({"prompt": "a", "n": 5})"), Contains("\"n\" must be in [1, 4], not 5"));
  CHECK_THAT(refused(R"({"prompt": "a", "n": 1.5})"), Contains("\"n\" must be an integer"));
  CHECK_THAT(refused(R"({"prompt": "a", "max_tokens": 101})"), Contains("\"max_tokens\" must be in [1, 100]"));
  CHECK_THAT(refused(R"({"prompt": "a", "temperature": -1})"), Contains("\"temperature\""));
  CHECK_THAT(refused(R"({"prompt": "a", "top_p": 0})"), Contains("\"top_p\" must be in (0, 1]"));
  CHECK_THAT(refused(R"({"prompt": "a", "seed": -2})"), Contains("\"seed\" must be a non-negative integer"));
  CHECK_THAT(refused(R"({"prompt": "a", "stop": [""]})"), Contains("\"stop\" holds an empty string"));
  CHECK_THAT(refused(R"({"prompt": "a", "logprobs": 5})"), Contains("unsupported field \"logprobs\""));
  CHECK_THAT(refused(R"({"prompt": "a", "stream": true})"), Contains("\"stream\": true is not supported"));
}

TEST_CASE("stop strings cut the text at the first one, kept on request") {
  std::string text = "abc}def]ghi";
  CHECK(cut_at_stop(text, {"]", "}"}, false));
  CHECK(text == "abc");
  text = "abc}def]ghi";
  CHECK(cut_at_stop(text, {"]", "}"}, true));
  CHECK(text == "abc}");
  text = "abc";
  CHECK_FALSE(cut_at_stop(text, {"x"}, false));
  CHECK(text == "abc");
}

// A completer that answers "<prompt>/<sample>" and records what it was asked.
struct Recorder {
  CompletionResult operator()(const CompletionRequest& request) {
    ++*calls;
    CompletionResult result;
    for (const std::string& prompt : request.prompts) {
      for (int64_t s = 0; s < request.n; ++s) result.choices.push_back({prompt + "/" + std::to_string(s), s == 0});
    }
    result.prompt_tokens = 7;
    result.completion_tokens = 5;
    return result;
  }
  std::shared_ptr<int> calls = std::make_shared<int>(0);
};

http::Request make_request(const std::string& method, const std::string& target, const std::string& body = {},
                           const std::string& token = {}) {
  http::Request request;
  request.method = method;
  request.target = target;
  request.body = body;
  if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
  return request;
}

TEST_CASE("completion routes answer in the OpenAI shape") {
  Recorder recorder;
  CompletionRoutes routes({.model_name = "tiny", .api_key = {}, .limits = {}}, recorder);

  const http::Response completion =
      routes.handle(make_request("POST", "/v1/completions", R"({"prompt": ["p", "q"], "n": 2, "model": "tiny"})"));
  REQUIRE(completion.status == 200);
  const json body = json::parse(completion.body);
  CHECK(body["object"] == "text_completion");
  CHECK(body["model"] == "tiny");
  CHECK_THAT(body["id"].get<std::string>(), Catch::Matchers::StartsWith("cmpl-"));
  REQUIRE(body["choices"].size() == 4);
  CHECK(body["choices"][2]["index"] == 2);
  CHECK(body["choices"][2]["text"] == "q/0");
  CHECK(body["choices"][2]["finish_reason"] == "stop");
  CHECK(body["choices"][3]["finish_reason"] == "length");
  CHECK(body["usage"]["total_tokens"] == 12);

  const json models = json::parse(routes.handle(make_request("GET", "/v1/models")).body);
  CHECK(models["data"][0]["id"] == "tiny");
  CHECK(routes.handle(make_request("GET", "/health")).body == R"({"status":"ok"})");

  CHECK(routes.handle(make_request("GET", "/v1/completions")).status == 405);
  CHECK(routes.handle(make_request("POST", "/v1/models")).status == 405);
  CHECK(routes.handle(make_request("GET", "/v2/anything")).status == 404);
  const http::Response wrong_model =
      routes.handle(make_request("POST", "/v1/completions", R"({"prompt": "p", "model": "gpt-4"})"));
  CHECK(wrong_model.status == 404);
  CHECK_THAT(wrong_model.body, Contains("model \\\"gpt-4\\\" is not served here"));
  const http::Response bad = routes.handle(make_request("POST", "/v1/completions", R"({"prompt": "p", "n": 0})"));
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["error"]["message"] == "\"n\" must be in [1, 64], not 0");
  CHECK(*recorder.calls == 1);
}

TEST_CASE("completion routes log every refusal, the client's bytes escaped") {
  spct::testing::CapturedLog log;
  Recorder recorder;
  CompletionRoutes routes({.model_name = "tiny", .api_key = {}, .limits = {}}, recorder);
  // A path with a byte that is not UTF-8 and a terminal escape sequence.
  CHECK(routes.handle(make_request("GET", "/v2/\xff\x1b[31m")).status == 404);
  CHECK(log.wait_for("no route", std::chrono::seconds(5)) ==
        "GET /v2/\\xff\\x1b[31m: 404: no route /v2/\\xff\\x1b[31m (this server has /health, /v1/models and "
        "/v1/completions)");
  CHECK(routes.handle(make_request("POST", "/v1/completions", R"({"prompt": "p", "n": 0})")).status == 400);
  CHECK(log.wait_for("must be in", std::chrono::seconds(5)) ==
        "POST /v1/completions: 400: \"n\" must be in [1, 64], not 0");
}

TEST_CASE("completion routes need the bearer token when one is set, except /health") {
  Recorder recorder;
  CompletionRoutes routes({.model_name = "tiny", .api_key = "k3y", .limits = {}}, recorder);
  const std::string body = R"({"prompt": "p"})";
  CHECK(routes.handle(make_request("POST", "/v1/completions", body)).status == 401);
  CHECK(routes.handle(make_request("POST", "/v1/completions", body, "k3")).status == 401);
  CHECK(routes.handle(make_request("POST", "/v1/completions", body, "k3yy")).status == 401);
  CHECK(routes.handle(make_request("GET", "/v1/models", {}, "wrong")).status == 401);
  CHECK(*recorder.calls == 0);
  CHECK(routes.handle(make_request("POST", "/v1/completions", body, "k3y")).status == 200);
  CHECK(routes.handle(make_request("GET", "/health")).status == 200);
}

}  // namespace
}  // namespace spct::serve
