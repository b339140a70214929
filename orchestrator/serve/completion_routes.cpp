#include "orchestrator/serve/completion_routes.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/http/log_text.h"

namespace spct::serve {
namespace {

http::Response json_response(std::string body) {
  http::Response response;
  response.body = std::move(body);
  return response;
}

// An error answer, logged: the client's text is quoted escaped (log_text.h), as it may hold any bytes.
http::Response refuse(const http::Request& request, int status, const std::string& message) {
  spdlog::info("{} {}: {}: {}", http::escape_for_log(request.method), http::escape_for_log(request.path()), status,
               http::escape_for_log(message));
  return http::Response::json_error(status, message);
}

}  // namespace

CompletionRoutes::CompletionRoutes(RoutesOptions options, Completer completer)
    : options_(std::move(options)), completer_(std::move(completer)) {}

bool CompletionRoutes::authorized(const http::Request& request) const {
  if (options_.api_key.empty()) return true;
  const std::string expected = "Bearer " + options_.api_key;
  const std::string_view given = request.header("Authorization");
  // Compare every byte whatever the first difference, so response time does not reveal a prefix of the key.
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return difference == 0;
}

http::Response CompletionRoutes::handle(const http::Request& request) {
  const std::string_view path = request.path();
  const bool get = request.method == "GET";
  if (path == "/health") {
    if (!get) return refuse(request, 405, "use GET for /health");
    return json_response(R"({"status":"ok"})");
  }
  if (path != "/v1/models" && path != "/v1/completions") {
    return refuse(request, 404,
                  "no route " + std::string(path) + " (this server has /health, /v1/models and /v1/completions)");
  }
  if (!authorized(request)) {
    http::Response response = refuse(request, 401, "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  if (path == "/v1/models") {
    if (!get) return refuse(request, 405, "use GET for /v1/models");
    const nlohmann::json body = {{"object", "list"},
                                 {"data", {{{"id", options_.model_name}, {"object", "model"}, {"owned_by", "spct"}}}}};
    return json_response(body.dump());
  }
  if (request.method != "POST") return refuse(request, 405, "use POST for /v1/completions");
  return completions(request);
}

http::Response CompletionRoutes::completions(const http::Request& request) {
  try {
    const CompletionRequest parsed = parse_completion_request(request.body, options_.limits);
    if (!parsed.model.empty() && parsed.model != options_.model_name) {
      return refuse(request, 404,
                    "model \"" + parsed.model + "\" is not served here (serving \"" + options_.model_name + "\")");
    }
    const CompletionResult result = completer_(parsed);
    const std::string id = "cmpl-" + std::to_string(next_id_++);
    return json_response(
        completion_response_json(id, options_.model_name, static_cast<int64_t>(std::time(nullptr)), result));
  } catch (const ApiError& e) {
    return refuse(request, e.status(), e.what());
  }
}

}  // namespace spct::serve
