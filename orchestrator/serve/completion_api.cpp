#include "orchestrator/serve/completion_api.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace spct::serve {
namespace {

using nlohmann::json;

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

ApiError bad(const std::string& message) {
  return ApiError(400, message);
}

int64_t integer_field(const json& body, const char* name, int64_t fallback, int64_t min, int64_t max) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw bad(std::string("\"") + name + "\" must be an integer");
  const int64_t value = it->get<int64_t>();
  if (value < min || value > max) {
    throw bad(std::string("\"") + name + "\" must be in [" + std::to_string(min) + ", " + std::to_string(max) +
              "], not " + std::to_string(value));
  }
  return value;
}

double number_field(const json& body, const char* name, double fallback, double min, double max, bool min_open) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw bad(std::string("\"") + name + "\" must be a number");
  const double value = it->get<double>();
  if (!(min_open ? value > min : value >= min) || !(value <= max)) {
    throw bad(std::string("\"") + name + "\" must be in " + (min_open ? "(" : "[") + number_text(min) + ", " +
              number_text(max) + "], not " + number_text(value));
  }
  return value;
}

std::vector<std::string> string_or_list(const json& value, const char* name, std::size_t max_items) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const json& item : value) {
      if (!item.is_string()) throw bad(std::string("\"") + name + "\" must hold strings only");
      out.push_back(item.get<std::string>());
    }
  } else {
    throw bad(std::string("\"") + name + "\" must be a string or an array of strings");
  }
  if (out.size() > max_items) {
    throw bad(std::string("\"") + name + "\" holds " + std::to_string(out.size()) + " items; at most " +
              std::to_string(max_items));
  }
  return out;
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view text, const ApiLimits& limits) {
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw bad("the request body is not valid JSON");
  if (!body.is_object()) throw bad("the request body must be a JSON object");
  static const std::set<std::string> kKnown = {
      "model", "prompt", "n", "max_tokens", "temperature", "top_p", "seed", "stop", "include_stop_str_in_output",
      "user",  "stream"};
  for (const auto& [key, value] : body.items()) {
    if (!kKnown.contains(key)) throw bad("unsupported field \"" + key + "\"");
  }
  CompletionRequest request;
  if (const auto model = body.find("model"); model != body.end() && !model->is_null()) {
    if (!model->is_string()) throw bad("\"model\" must be a string");
    request.model = model->get<std::string>();
  }
  const auto prompt = body.find("prompt");
  if (prompt == body.end()) throw bad("\"prompt\" is missing");
  request.prompts = string_or_list(*prompt, "prompt", static_cast<std::size_t>(limits.max_prompts));
  if (request.prompts.empty()) throw bad("\"prompt\" is an empty array");
  for (std::size_t i = 0; i < request.prompts.size(); ++i) {
    if (request.prompts[i].empty()) throw bad("\"prompt\"[" + std::to_string(i) + "] is empty");
  }
  request.n = integer_field(body, "n", 1, 1, limits.max_n);
  request.max_tokens = integer_field(body, "max_tokens", 16, 1, limits.max_tokens);
  request.temperature = number_field(body, "temperature", 1.0, 0, 100, false);
  request.top_p = number_field(body, "top_p", 1.0, 0, 1, true);
  if (const auto seed = body.find("seed"); seed != body.end() && !seed->is_null()) {
    if (!seed->is_number_unsigned()) {
      throw bad("\"seed\" must be a non-negative integer");
    }
    request.seed = seed->get<uint64_t>();
  }
  if (const auto stop = body.find("stop"); stop != body.end() && !stop->is_null()) {
    request.stop = string_or_list(*stop, "stop", 8);
    for (const std::string& s : request.stop) {
      if (s.empty()) throw bad("\"stop\" holds an empty string");
    }
  }
  if (const auto keep = body.find("include_stop_str_in_output"); keep != body.end() && !keep->is_null()) {
    if (!keep->is_boolean()) throw bad("\"include_stop_str_in_output\" must be true or false");
    request.include_stop_str_in_output = keep->get<bool>();
  }
  if (const auto stream = body.find("stream"); stream != body.end() && stream->is_boolean() && stream->get<bool>()) {
    throw bad("\"stream\": true is not supported; send \"stream\": false or leave it out");
  }
  return request;
}

bool cut_at_stop(std::string& text, const std::vector<std::string>& stop, bool keep) {
  std::size_t first = std::string::npos;
  std::size_t length = 0;
  for (const std::string& s : stop) {
    const std::size_t at = text.find(s);
    if (at < first) {
      first = at;
      length = s.size();
    }
  }
  if (first == std::string::npos) return false;
  text.resize(keep ? first + length : first);
  return true;
}

std::string completion_response_json(const std::string& id, const std::string& model, int64_t created,
                                     const CompletionResult& result) {
  json choices = json::array();
  for (std::size_t i = 0; i < result.choices.size(); ++i) {
    choices.push_back({{"index", i},
                       {"text", result.choices[i].text},
                       {"logprobs", nullptr},
                       {"finish_reason", result.choices[i].stopped ? "stop" : "length"}});
  }
  const json body = {{"id", id},
                     {"object", "text_completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", choices},
                     {"usage",
                      {{"prompt_tokens", result.prompt_tokens},
                       {"completion_tokens", result.completion_tokens},
                       {"total_tokens", result.prompt_tokens + result.completion_tokens}}}};
  // A completion cut mid-character by max_tokens may end in a partial UTF-8 sequence: replace it.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace spct::serve
