#include "workers/reward/external/http_reward.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/http/url.h"
#include "workers/reward/external/reward_info.h"

namespace spct::reward {
namespace {

http::ClientOptions client_options(const ExternalOptions& options) {
  http::ClientOptions client;
  client.connect_timeout_s = std::min(options.timeout_s, 10.0);
  client.request_timeout_s = options.timeout_s;
  client.max_idle_connections = static_cast<int>(options.concurrency);
  return client;
}

std::string excerpt(const std::string& body) {
  return body.size() <= 200 ? body : body.substr(0, 200) + "...";
}

}  // namespace

HttpReward::HttpReward(std::string name, const std::string& url, const ExternalOptions& options)
    : HttpReward(std::move(name), url, http::Url::parse(url, "reward.functions (http reward URL)"), options) {}

HttpReward::HttpReward(std::string name, const std::string& url, const http::Url& parsed,
                       const ExternalOptions& options)
    : name_(std::move(name)),
      url_(url),
      target_(parsed.base_path.empty() ? "/" : parsed.base_path),
      options_(options),
      client_(parsed.host, parsed.port, client_options(options)) {}

ExternalScores HttpReward::score(const ExternalGroup& group) {
  const std::vector<std::string>& completions = *group.completions;
  nlohmann::json query = nlohmann::json::array(), prompts = nlohmann::json::array(), labels = nlohmann::json::array();
  for (const std::string& completion : completions) {
    query.push_back(std::string(group.prompt) + completion);
    prompts.push_back(group.prompt);
    labels.push_back(group.answer);
  }
  const nlohmann::json request = {{"query", std::move(query)},
                                  {"prompts", std::move(prompts)},
                                  {"labels", std::move(labels)},
                                  {"completions", completions},
                                  {"metadata",
                                   {{"step", group.step},
                                    {"prompt_id", group.prompt_id},
                                    {"completion_tokens", group.completion_tokens},
                                    {"truncated", group.truncated}}}};
  const std::string body = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string where = "reward " + name_ + " (http " + url_ + "): ";

  {
    std::unique_lock lock(mutex_);
    slot_free_.wait(lock, [&] { return in_flight_ < options_.concurrency; });
    ++in_flight_;
  }
  http::Response response;
  std::string failure;
  try {
    response = client_.post_json(target_, body);
  } catch (const http::HttpError& error) {
    failure = error.what();
  }
  {
    const std::lock_guard lock(mutex_);
    --in_flight_;
  }
  slot_free_.notify_one();
  if (!failure.empty()) throw RewardFailure(where + failure);
  if (response.status != 200) {
    throw RewardFailure(where + "status " + std::to_string(response.status) + ": " + excerpt(response.body));
  }
  const nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const char* key = answer.is_object() && answer.contains("rewards") ? "rewards" : "scores";
  if (!answer.is_object() || !answer.contains(key) || !answer[key].is_array() ||
      answer[key].size() != completions.size()) {
    throw RewardFailure(where + "the body is not {\"rewards\": [one number per completion (" +
                        std::to_string(completions.size()) + ")]}: " + excerpt(response.body));
  }
  std::optional<std::vector<std::string>> info = info_texts(answer, completions.size());
  if (!info) {
    throw RewardFailure(where + "its \"info\" is not a list of one entry per completion: " + excerpt(response.body));
  }
  ExternalScores out;
  out.info = std::move(*info);
  for (const nlohmann::json& value : answer[key]) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      throw RewardFailure(where + "a reward is not a finite number: " + excerpt(response.body));
    }
    out.scores.push_back(value.get<double>());
  }
  return out;
}

}  // namespace spct::reward
