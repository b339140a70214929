#include "orchestrator/observe/rollout_record.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace spct::observe {

std::string to_json_line(const RolloutRecord& record) {
  nlohmann::ordered_json components = nlohmann::ordered_json::object();
  for (const auto& [name, value] : record.rewards) components[name] = value;
  nlohmann::ordered_json line = {
      {"step", record.step},
      {"group", record.group},
      {"prompt_id", record.prompt_id},
      {"index", record.index},
      {"policy_version", record.policy_version},
      {"trained", record.trained},
      {"reward", record.reward},
      {"rewards", components},
      {"advantage", record.advantage},
      {"length", record.length},
      {"truncated", record.truncated},
      {"logprob_sum", record.logprob_sum},
      {"prompt", record.prompt},
      {"completion", record.completion},
  };
  if (!record.critiques.empty()) {
    nlohmann::ordered_json critiques = nlohmann::ordered_json::array();
    for (const RolloutCritique& c : record.critiques) {
      critiques.push_back({{"chunk", c.chunk},
                           {"sample", c.sample},
                           {"response", c.response},
                           {"score", c.score},
                           {"meta_score", c.meta_score},
                           {"voted", c.voted},
                           {"text", c.text}});
    }
    line["critiques"] = std::move(critiques);
  }
  if (!record.info.empty()) {
    nlohmann::ordered_json info = nlohmann::ordered_json::object();
    for (const auto& [name, text] : record.info) {
      // The reward's own JSON; one cut to rollout_log_info_chars no longer parses and stays a string.
      nlohmann::ordered_json value = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
      info[name] = value.is_discarded() ? nlohmann::ordered_json(text) : std::move(value);
    }
    line["info"] = std::move(info);
  }
  // A completion cut mid-character is normal (token boundaries); replace rather than throw.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RolloutRecord parse_json_line(const std::string& line, const std::string& where) {
  try {
    // Ordered: the components and info keep the order they were written in.
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    RolloutRecord r;
    r.step = j.at("step").get<int64_t>();
    r.group = j.at("group").get<int64_t>();
    r.prompt_id = j.at("prompt_id").get<uint64_t>();
    r.index = j.at("index").get<int64_t>();
    r.policy_version = j.at("policy_version").get<uint64_t>();
    r.trained = j.at("trained").get<bool>();
    r.prompt = j.at("prompt").get<std::string>();
    r.completion = j.at("completion").get<std::string>();
    // JSON has no NaN: nlohmann writes a non-finite reward as null.
    const auto number = [](const nlohmann::ordered_json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
    r.reward = number(j.at("reward"));
    for (const auto& [name, value] : j.at("rewards").items()) r.rewards.emplace_back(name, number(value));
    r.advantage = number(j.at("advantage"));
    r.length = j.at("length").get<int64_t>();
    r.truncated = j.at("truncated").get<bool>();
    r.logprob_sum = number(j.at("logprob_sum"));
    if (j.contains("critiques")) {
      for (const nlohmann::ordered_json& c : j.at("critiques")) {
        r.critiques.push_back({.chunk = c.at("chunk").get<int64_t>(),
                               .sample = c.at("sample").get<int64_t>(),
                               .response = c.at("response").get<int64_t>(),
                               .score = number(c.at("score")),
                               .meta_score = number(c.at("meta_score")),
                               .voted = c.at("voted").get<bool>(),
                               .text = c.at("text").get<std::string>()});
      }
    }
    if (j.contains("info")) {
      for (const auto& [name, value] : j.at("info").items()) {
        r.info.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": not a rollout record: " + e.what());
  }
}

}  // namespace spct::observe
