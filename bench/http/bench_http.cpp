// bench_http [requests] [clients]: what HTTP costs `spct serve`, measured on a tiny model (the quickstart's
// size: 2 layers, d_model 64, character vocabulary, random weights):
//   1. GET /health over one keep-alive connection: the bare HTTP round trip.
//   2. One completion at a time (16 new tokens), in process (CompletionEngine::complete) and through HTTP
//      (HttpClient -> HttpServer -> routes -> engine): requests/s and latency percentiles.
//   3. `clients` threads sending completions at once through HTTP: requests/s with batching, and the mean
//      batch size the engine formed.
// Run it on an idle machine: OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE ./bench_http
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/http/http_client.h"
#include "core/http/http_server.h"
#include "models/tokenizer/char_tokenizer.h"
#include "orchestrator/serve/completion_engine.h"
#include "orchestrator/serve/completion_routes.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double per_second = 0;
  double p50_ms = 0;
  double p95_ms = 0;
};

// Runs `one(i)` `count` times in sequence; requests/s and latency percentiles.
Figures measure(int count, const std::function<void(int)>& one) {
  std::vector<double> latencies;
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const auto begin = Clock::now();
    one(i);
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  return {count / seconds, latencies[latencies.size() / 2], latencies[latencies.size() * 95 / 100]};
}

void print(const char* what, const Figures& f) {
  std::printf("%-44s %9.1f req/s   p50 %7.3f ms   p95 %7.3f ms\n", what, f.per_second, f.p50_ms, f.p95_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 200;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 8;
  at::set_num_threads(1);

  spct::models::ModelConfig config;
  config.family = spct::models::Family::kLlama;
  config.vocab_size = spct::tokenizer::CharTokenizer::kVocabSize;
  config.hidden_size = 64;
  config.num_layers = 2;
  config.num_heads = 4;
  config.num_kv_heads = 4;
  config.head_dim = 16;
  config.intermediate_size = 256;
  config.max_position = 256;
  auto model = std::make_shared<const spct::models::Transformer>(config, 1);
  auto tokenizer = std::make_shared<const spct::tokenizer::CharTokenizer>();
  spct::serve::CompletionEngine engine(model, tokenizer, {.max_batch = 64});
  spct::serve::CompletionRoutes routes({.model_name = "tiny", .api_key = {}, .limits = {}},
                                       [&](const spct::serve::CompletionRequest& r) { return engine.complete(r); });
  spct::http::ServerOptions server_options;
  server_options.handler_threads = clients;
  spct::http::HttpServer server(server_options, [&](const spct::http::Request& r) { return routes.handle(r); });
  spct::http::HttpClient client("127.0.0.1", server.port());

  const auto body = [](int i) {
    return nlohmann::json{{"prompt", "12+30="}, {"max_tokens", 16}, {"temperature", 1.0}, {"seed", i}}.dump();
  };
  spct::serve::CompletionRequest request;
  request.prompts = {"12+30="};
  request.max_tokens = 16;
  request.temperature = 1.0;

  std::printf("tiny model: 2 layers, d_model 64, 16 new tokens per completion, %d requests, 1 ATen thread\n", requests);
  // Warm-up: first-call allocations and the first connection.
  for (int i = 0; i < 10; ++i) client.post_json("/v1/completions", body(i));

  print("GET /health (keep-alive)", measure(requests * 5, [&](int) { client.get("/health"); }));
  print("completion in process (engine)", measure(requests, [&](int i) {
          request.seed = static_cast<uint64_t>(i);
          engine.complete(request);
        }));
  print("completion through HTTP, 1 client", measure(requests, [&](int i) {
          if (client.post_json("/v1/completions", body(i)).status != 200) std::abort();
        }));

  const spct::serve::EngineStats before = engine.stats();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = c; i < requests; i += clients) {
        if (client.post_json("/v1/completions", body(i)).status != 200) std::abort();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const spct::serve::EngineStats after = engine.stats();
  std::printf("%-44s %9.1f req/s   mean batch %.1f sequences\n",
              ("completion through HTTP, " + std::to_string(clients) + " clients").c_str(), requests / seconds,
              static_cast<double>(after.sequences - before.sequences) /
                  static_cast<double>(std::max<int64_t>(1, after.batches - before.batches)));
  return 0;
}
