// The OpenAI-compatible completions API of `spct serve`, at the JSON level (tensor-free): what a
// POST /v1/completions body may hold, and the response it gets.
//
// Request fields (others, such as "logprobs" or "echo", are refused so a client never silently gets less than it
// asked for; "user" and "stream": false are accepted and ignored):
//   model        string, optional; the served model's name when given (any other name: 404 by the routes)
//   prompt       string, or an array of strings (one completion set per prompt)
//   n            completions per prompt, 1..limits.max_n (default 1)
//   max_tokens   1..limits.max_tokens (default 16)
//   temperature  0 (greedy) .. 100 (default 1)
//   top_p        (0, 1] (default 1)
//   seed         unsigned integer, optional: the same (prompt, seed, n) gives the same completions
//   stop         string or array of up to 8 non-empty strings; the text ends before the first one
//   include_stop_str_in_output  bool (vLLM's extension, default false): keep the stop string in the text
//
// Response: {"id", "object": "text_completion", "created", "model", "choices": [{"index", "text", "logprobs":
// null, "finish_reason": "stop" | "length"}], "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}};
// choice index = prompt index x n + sample index.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace spct::serve {

// A request the API refuses: the HTTP status to answer and a message naming the field.
class ApiError : public Error {
 public:
  ApiError(int status, const std::string& message) : Error(ExitCode::kBadInput, message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct ApiLimits {
  int64_t max_n = 64;
  int64_t max_tokens = 4096;
  int64_t max_prompts = 64;
};

struct CompletionRequest {
  std::string model;  // "" when the client did not name one
  std::vector<std::string> prompts;
  int64_t n = 1;
  int64_t max_tokens = 16;
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool include_stop_str_in_output = false;
};

// Parses and validates a request body. Throws ApiError(400) naming the field for bad JSON, a missing prompt,
// an unknown field or a value out of range.
CompletionRequest parse_completion_request(std::string_view body, const ApiLimits& limits);

struct CompletionChoice {
  std::string text;
  bool stopped = false;  // ended by end-of-sequence or a stop string ("stop"), else by max_tokens ("length")
};

struct CompletionResult {
  std::vector<CompletionChoice> choices;  // prompt-major: prompt p, sample s at p * n + s
  int64_t prompt_tokens = 0;              // summed over prompts (each counted once)
  int64_t completion_tokens = 0;
};

// Cuts `text` at the first occurrence of any stop string (keeping it when `keep`). Returns whether one was found.
bool cut_at_stop(std::string& text, const std::vector<std::string>& stop, bool keep);

// The response body for `result`.
std::string completion_response_json(const std::string& id, const std::string& model, int64_t created,
                                     const CompletionResult& result);

}  // namespace spct::serve
