#include "workers/reward/grm_remote/remote_critique_sampler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

#include "core/error.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {
namespace {

// A failure worth another attempt (the server or the network may recover) or not (it answered, and would
// answer the same again).
struct AttemptFailure {
  bool retryable;
  std::string reason;
};

std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string out(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  return out;
}

// The choices of a completions response, ordered by their index. Throws AttemptFailure (not retryable).
std::vector<std::string> parse_choices(const std::string& body, int n) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw AttemptFailure{false, "response is not JSON: " + excerpt(body)};
  const auto choices = json.find("choices");
  if (!json.is_object() || choices == json.end() || !choices->is_array()) {
    throw AttemptFailure{false, "response has no \"choices\" array: " + excerpt(body)};
  }
  if (static_cast<int>(choices->size()) != n) {
    throw AttemptFailure{false,
                         "asked for n = " + std::to_string(n) + " completions, got " + std::to_string(choices->size())};
  }
  std::vector<std::optional<std::string>> texts(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const nlohmann::json& choice = (*choices)[i];
    const auto text = choice.find("text");
    if (!choice.is_object() || text == choice.end() || !text->is_string()) {
      throw AttemptFailure{false, "choices[" + std::to_string(i) + "] has no string \"text\""};
    }
    const auto index_field = choice.find("index");
    std::size_t index = i;
    if (index_field != choice.end()) {
      if (!index_field->is_number_integer() || index_field->get<int64_t>() < 0 || index_field->get<int64_t>() >= n) {
        throw AttemptFailure{false,
                             "choices[" + std::to_string(i) + "].index is not in [0, " + std::to_string(n) + ")"};
      }
      index = index_field->get<std::size_t>();
    }
    if (texts[index]) throw AttemptFailure{false, "two choices have index " + std::to_string(index)};
    texts[index] = text->get<std::string>();
  }
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (auto& text : texts) out.push_back(std::move(*text));
  return out;
}

// The text a failed prompt's critiques get under the kUnparsable fallback: it says why, and holds no score box.
std::string unparsable_critique(const std::string& reason) {
  std::string text = "[remote GRM failed: " + reason + "]";
  for (std::size_t at = text.find("\\boxed"); at != std::string::npos; at = text.find("\\boxed", at)) {
    text.erase(at, 1);
  }
  return text;
}

void update_max(std::atomic<int64_t>& max, int64_t value) {
  int64_t seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

struct RemoteCritiqueSampler::Job {
  const std::string* prompt = nullptr;
  std::vector<std::size_t> positions;  // where its critiques go in the output
  uint64_t seed = 0;
};

RemoteSamplerOptions RemoteSamplerOptions::from_config(const config::GrmSection& grm, uint64_t seed,
                                                       double step_timeout_s) {
  if (grm.remote_url.empty()) {
    throw UsageError("grm.backend is remote but grm.remote_url is empty: name the server, e.g. http://127.0.0.1:8000");
  }
  RemoteSamplerOptions options;
  options.url = http::Url::parse(grm.remote_url, "grm.remote_url");
  options.model = grm.remote_model;
  options.timeout_s = grm.remote_timeout_s;
  options.retries = static_cast<int>(grm.remote_retries);
  options.concurrency = static_cast<int>(grm.remote_concurrency);
  options.fallback =
      grm.remote_fallback == config::RemoteFallback::kUnparsable ? Fallback::kUnparsable : Fallback::kFail;
  options.max_tokens = grm.max_new_tokens;
  options.stop = grm.stop;
  options.seed = seed;
  options.breaker.failures = grm.remote_breaker_failures;
  options.breaker.cooldown_s = grm.remote_breaker_cooldown_s;
  options.report_every_s = step_timeout_s / 4;
  if (!grm.remote_api_key_env.empty()) {
    const char* token = std::getenv(grm.remote_api_key_env.c_str());
    if (token == nullptr || *token == '\0') {
      throw UsageError("grm.remote_api_key_env: the environment variable " + grm.remote_api_key_env +
                       " is not set (it should hold the server's bearer token)");
    }
    options.api_key = token;
  }
  return options;
}

namespace {

http::ClientOptions client_options(const RemoteSamplerOptions& options) {
  http::ClientOptions client;
  client.connect_timeout_s = std::min(options.timeout_s, 10.0);
  client.request_timeout_s = options.timeout_s;
  client.max_idle_connections = options.concurrency;
  return client;
}

const RemoteSamplerOptions& checked(const RemoteSamplerOptions& options) {
  if (options.concurrency < 1) throw UsageError("remote GRM: concurrency must be at least 1");
  if (options.retries < 0) throw UsageError("remote GRM: retries must be at least 0");
  if (!(options.timeout_s > 0)) throw UsageError("remote GRM: the timeout must be positive");
  if (options.max_tokens < 1) throw UsageError("remote GRM: max_tokens must be at least 1");
  if (options.breaker.failures < 0) throw UsageError("remote GRM: breaker failures must be at least 0");
  if (!(options.breaker.cooldown_s > 0)) throw UsageError("remote GRM: the breaker cool-down must be positive");
  return options;
}

}  // namespace

RemoteCritiqueSampler::RemoteCritiqueSampler(const RemoteSamplerOptions& options)
    : options_(checked(options)),
      target_(options_.url.base_path + "/v1/completions"),
      endpoint_(options_.url.to_string() + "/v1/completions"),
      client_(options_.url.host, options_.url.port, client_options(options_)),
      breaker_(options_.breaker) {}

std::vector<std::string> RemoteCritiqueSampler::request_once(const std::string& body, int n) {
  http::Headers headers;
  if (!options_.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + options_.api_key);
  const CircuitBreaker::Admission admission = breaker_.admit();
  if (!admission.allowed) {
    ++fast_failures_;
    throw AttemptFailure{false,
                         fmt::format("circuit breaker open after {} consecutive failures, the last: {}; "
                                     "requests fail without being sent until a probe in {:.1f} s "
                                     "(grm.remote_breaker_cooldown_s)",
                                     options_.breaker.failures, breaker_.last_failure(), admission.reopens_in_s)};
  }
  ++requests_;
  const auto start = std::chrono::steady_clock::now();
  http::Response response;
  try {
    response = client_.post_json(target_, body, headers);
  } catch (const http::HttpError& e) {
    if (e.kind() == http::HttpError::Kind::kTimeout) ++timeouts_;
    breaker_.failed(admission.probe, e.what());
    throw AttemptFailure{true, e.what()};
  }
  if (response.status >= 500) {
    const std::string reason = "status " + std::to_string(response.status) + ": " + excerpt(response.body);
    breaker_.failed(admission.probe, reason);
    throw AttemptFailure{true, reason};
  }
  // The server answered: whatever the answer, it is up.
  breaker_.succeeded();
  if (response.status != 200) {
    throw AttemptFailure{false, "status " + std::to_string(response.status) + ": " + excerpt(response.body)};
  }
  std::vector<std::string> texts = parse_choices(response.body, n);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  ++succeeded_;
  latency_sum_us_ += micros;
  update_max(latency_max_us_, micros);
  return texts;
}

std::vector<std::string> RemoteCritiqueSampler::complete(const Job& job, double temperature,
                                                         const std::atomic<bool>& abandon) {
  const int n = static_cast<int>(job.positions.size());
  nlohmann::json request = {{"model", options_.model},
                            {"prompt", *job.prompt},
                            {"max_tokens", options_.max_tokens},
                            {"temperature", temperature},
                            {"n", n},
                            {"seed", job.seed}};
  if (!options_.stop.empty()) {
    request["stop"] = options_.stop;
    // The GRM's stop string is part of the critique ("}" closes the \boxed{} scores): vLLM's extension keeps
    // it, as `spct serve` does; servers without it drop the stop string from the text.
    request["include_stop_str_in_output"] = true;
  }
  const std::string body = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  std::mt19937_64 jitter_rng(job.seed);
  std::uniform_real_distribution<double> jitter(1 - config::kRemoteBackoffJitter, 1 + config::kRemoteBackoffJitter);
  for (int attempt = 0;; ++attempt) {
    try {
      return request_once(body, n);
    } catch (const AttemptFailure& failure) {
      if (!failure.retryable || attempt >= options_.retries || abandon) {
        throw Error(ExitCode::kFailure, "remote GRM " + endpoint_ + ": " + failure.reason + " (" +
                                            std::to_string(attempt + 1) + " attempt" + (attempt == 0 ? "" : "s") + ")");
      }
    }
    ++retries_;
    const double wait_s =
        std::min(options_.backoff_max_s, options_.backoff_initial_s * std::pow(2.0, attempt)) * jitter(jitter_rng);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
  }
}

std::vector<std::string> RemoteCritiqueSampler::generate(const std::vector<std::string>& prompts, double temperature) {
  const uint64_t call_seed = derive_seed(options_.seed, calls_++);
  // Distinct prompts in order of first appearance.
  std::vector<Job> jobs;
  std::map<std::string_view, std::size_t> job_of;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto [it, inserted] = job_of.emplace(prompts[i], jobs.size());
    if (inserted) {
      jobs.push_back(Job{&prompts[i], {}, derive_seed(call_seed, jobs.size())});
    }
    jobs[it->second].positions.push_back(i);
  }

  std::vector<std::string> out(prompts.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> answered{0};
  std::atomic<bool> abandon{false};
  std::mutex error_mutex;
  std::string first_failure;
  std::exception_ptr unexpected;
  const auto work = [&] {
    for (std::size_t j = next++; j < jobs.size() && !abandon; j = next++) {
      try {
        std::vector<std::string> texts = complete(jobs[j], temperature, abandon);
        for (std::size_t s = 0; s < texts.size(); ++s) out[jobs[j].positions[s]] = std::move(texts[s]);
      } catch (const Error& e) {
        ++failures_;
        if (options_.fallback == RemoteSamplerOptions::Fallback::kUnparsable) {
          for (const std::size_t position : jobs[j].positions) out[position] = unparsable_critique(e.what());
        } else {
          std::lock_guard lock(error_mutex);
          if (first_failure.empty()) first_failure = e.what();
          abandon = true;
        }
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!unexpected) unexpected = std::current_exception();
        abandon = true;
      }
      ++answered;
    }
  };
  // Every request runs on a worker thread; this thread waits for them and reports a long wait.
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(options_.concurrency), jobs.size());
  std::mutex done_mutex;
  std::condition_variable done;
  std::size_t running = workers;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < workers; ++t) {
    threads.emplace_back([&] {
      work();
      std::lock_guard lock(done_mutex);
      --running;
      done.notify_all();
    });
  }
  {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(done_mutex);
    while (running > 0) {
      if (options_.report_every_s <= 0) {
        done.wait(lock, [&] { return running == 0; });
        break;
      }
      if (done.wait_for(lock, std::chrono::duration<double>(options_.report_every_s), [&] { return running == 0; })) {
        break;
      }
      const double waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      spdlog::warn("waiting on remote GRM {}: {:.0f} s so far, {} of {} prompts not answered yet{}", endpoint_,
                   waited_s, jobs.size() - answered.load(), jobs.size(),
                   breaker_.state() == CircuitBreaker::State::kClosed ? "" : " (circuit breaker open)");
    }
  }
  for (auto& thread : threads) thread.join();
  if (breaker_.state() != CircuitBreaker::State::kClosed) ++ended_open_;
  if (unexpected) std::rethrow_exception(unexpected);
  if (!first_failure.empty()) throw Error(ExitCode::kFailure, first_failure);
  return out;
}

RemoteCounters RemoteCritiqueSampler::counters() const {
  RemoteCounters counters;
  counters.requests = requests_.load();
  counters.retries = retries_.load();
  counters.timeouts = timeouts_.load();
  counters.failures = failures_.load();
  counters.succeeded = succeeded_.load();
  counters.breaker_trips = breaker_.trips();
  counters.fast_failures = fast_failures_.load();
  counters.breaker_open = ended_open_.load();
  counters.latency_sum_s = static_cast<double>(latency_sum_us_.load()) * 1e-6;
  counters.latency_max_s = static_cast<double>(latency_max_us_.load()) * 1e-6;
  return counters;
}

Metrics RemoteCritiqueSampler::metrics() const {
  const RemoteCounters c = counters();
  return {{"grm_remote/requests", static_cast<double>(c.requests)},
          {"grm_remote/retries", static_cast<double>(c.retries)},
          {"grm_remote/timeouts", static_cast<double>(c.timeouts)},
          {"grm_remote/failures", static_cast<double>(c.failures)},
          {"grm_remote/breaker_trips", static_cast<double>(c.breaker_trips)},
          {"grm_remote/fast_failures", static_cast<double>(c.fast_failures)},
          {"grm_remote/breaker_open", static_cast<double>(c.breaker_open)},
          {"grm_remote/latency_mean_s", c.succeeded > 0 ? c.latency_sum_s / static_cast<double>(c.succeeded) : 0.0},
          {"grm_remote/latency_max_s", c.latency_max_s}};
}

}  // namespace spct::grm
