// `spct serve` for real: the completion engine in process (seeded reproducibility, batching of concurrent
// requests), then the spct binary started on an ephemeral port and the remote GRM sampler talking to it over
// loopback, checked against in-process generation on the same checkpoint.
#include <ATen/Parallel.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "core/http/http_client.h"
#include "models/io/hf_model_dir.h"
#include "models/tokenizer/char_tokenizer.h"
#include "orchestrator/serve/completion_engine.h"
#include "tests/unit/config/test_files.h"
#include "workers/reward/grm/voting.h"
#include "workers/reward/grm_remote/remote_critique_sampler.h"

// c10's logging brings in glog, whose CHECK would silently replace Catch's (system headers do not warn about
// the redefinition): drop it, then include Catch last.
#undef CHECK
#include <catch2/catch.hpp>

namespace spct::serve {
namespace {

using Catch::Matchers::Contains;

models::ModelConfig tiny_config() {
  models::ModelConfig config;
  config.family = models::Family::kLlama;
  config.vocab_size = tokenizer::CharTokenizer::kVocabSize;
  config.hidden_size = 32;
  config.num_layers = 2;
  config.num_heads = 4;
  config.num_kv_heads = 2;
  config.head_dim = 8;
  config.intermediate_size = 64;
  config.max_position = 128;
  return config;
}

std::vector<std::string> texts(const CompletionResult& result) {
  std::vector<std::string> out;
  for (const CompletionChoice& choice : result.choices) out.push_back(choice.text);
  return out;
}

// `spct serve DIR --tokenizer char --port 0` as a child process; stopped with SIGTERM (SIGKILL after 10 s).
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& model_dir, const std::filesystem::path& port_file,
               const std::vector<std::string>& extra) {
    const char* from_environment = std::getenv("SPCT_BINARY");
    const std::string binary = from_environment != nullptr ? from_environment : SPCT_BUILT_BINARY;
    std::vector<std::string> args = {binary, "serve",       model_dir.string(), "--tokenizer", "char", "--port",
                                     "0",    "--port-file", port_file.string(), "--threads",   "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (port_ == 0 && std::chrono::steady_clock::now() < deadline && running()) {
      std::ifstream in(port_file);
      if (!(in >> port_)) port_ = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(port_ != 0);
  }
  ~ServeProcess() {
    if (pid_ > 0 && running()) stop();
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  uint16_t port() const { return static_cast<uint16_t>(port_); }

  // SIGTERM, then the exit status (-1 when it had to be killed).
  int stop() {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

 private:
  bool running() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_CASE("completion engine: seeded requests reproduce whatever they are batched with") {
  at::set_num_threads(1);
  auto model = std::make_shared<const models::Transformer>(tiny_config(), 21);
  auto tokenizer = std::make_shared<const tokenizer::CharTokenizer>();
  CompletionEngine engine(model, tokenizer, {.max_batch = 64});

  CompletionRequest request;
  request.prompts = {"12+30=", "7+1="};
  request.n = 3;
  request.max_tokens = 8;
  request.temperature = 0.9;
  request.seed = 5;
  const CompletionResult alone = engine.complete(request);
  REQUIRE(alone.choices.size() == 6);
  CHECK(alone.prompt_tokens == 10);
  CHECK(alone.completion_tokens > 0);
  CHECK(texts(alone) != std::vector<std::string>(6, texts(alone)[0]));  // samples differ

  // A long request keeps the engine busy while four copies queue up; they come back identical to `alone`.
  CompletionRequest busy = request;
  busy.n = 32;
  busy.max_tokens = 100;
  busy.seed = 1;
  std::thread long_one([&] { engine.complete(busy); });
  std::vector<std::thread> threads;
  std::vector<CompletionResult> results(4);
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = engine.complete(request); });
  for (auto& thread : threads) thread.join();
  long_one.join();
  for (const CompletionResult& result : results) CHECK(texts(result) == texts(alone));
  const EngineStats stats = engine.stats();
  CHECK(stats.requests == 6);
  CHECK(stats.batches < stats.requests);

  // Stop strings end a sequence; the text stops before the stop string (or after it, on request).
  CompletionRequest stopped = request;
  stopped.stop = {"1"};
  stopped.max_tokens = 40;
  for (const CompletionChoice& choice : engine.complete(stopped).choices) {
    CHECK(choice.text.find('1') == std::string::npos);
  }
  stopped.include_stop_str_in_output = true;
  for (const CompletionChoice& choice : engine.complete(stopped).choices) {
    if (choice.stopped && choice.text.find('1') != std::string::npos) CHECK(choice.text.back() == '1');
  }

  CompletionRequest too_long = request;
  too_long.max_tokens = 125;
  CHECK_THROWS_WITH(engine.complete(too_long), Contains("exceeds the model's context of 128 tokens"));
}

TEST_CASE("the remote GRM sampler gets from spct serve what the model writes in process") {
  at::set_num_threads(1);
  spct::testing::TempDir temp;
  const std::filesystem::path dir(temp.path());
  const auto model = std::make_shared<const models::Transformer>(tiny_config(), 21);
  model_io::save_hf_model(*model, dir / "model");
  ::setenv("SPCT_TEST_SERVE_TOKEN", "tok3n", 1);
  ServeProcess serve(dir / "model", dir / "port", {"--api-key-env", "SPCT_TEST_SERVE_TOKEN"});

  http::HttpClient client("127.0.0.1", serve.port());
  CHECK(client.get("/health").status == 200);
  CHECK(client.get("/v1/models").status == 401);
  CHECK_THAT(client.get("/v1/models", {{"Authorization", "Bearer tok3n"}}).body, Contains("\"id\":\"model\""));
  // Text the character tokenizer has no tokens for is the client's error: 400 naming the prompt and the byte.
  const http::Response unencodable =
      client.post_json("/v1/completions", R"({"prompt": ["1+1=", "3+4=\u00e9"]})", {{"Authorization", "Bearer tok3n"}});
  CHECK(unencodable.status == 400);
  CHECK_THAT(unencodable.body, Contains("prompt 1 cannot be encoded: character tokenizer: byte 0xc3 at offset 4"));
  CHECK(client.get("/health").status == 200);  // and the server goes on

  grm::RemoteSamplerOptions options;
  options.url = http::Url::parse("http://127.0.0.1:" + std::to_string(serve.port()), "test");
  options.model = "model";
  options.max_tokens = 12;
  options.seed = 9;
  options.timeout_s = 30;
  options.retries = 0;
  CHECK_THROWS_WITH(grm::RemoteCritiqueSampler(options).generate({"1+1="}, 0.7), Contains("status 401"));

  options.api_key = "tok3n";
  grm::RemoteCritiqueSampler sampler(options);
  const std::vector<std::string> prompts = {"12+30=", "7+1=", "12+30="};
  const std::vector<std::string> remote = sampler.generate(prompts, 0.7);
  REQUIRE(remote.size() == 3);

  // The same distinct prompts, seeds and n in process, on the weights the server loaded from disk.
  CompletionEngine engine(model, std::make_shared<const tokenizer::CharTokenizer>(), {});
  const uint64_t call_seed = grm::derive_seed(options.seed, 0);
  CompletionRequest first;
  first.prompts = {"12+30="};
  first.n = 2;
  first.max_tokens = 12;
  first.temperature = 0.7;
  first.seed = grm::derive_seed(call_seed, 0);
  CompletionRequest second = first;
  second.prompts = {"7+1="};
  second.n = 1;
  second.seed = grm::derive_seed(call_seed, 1);
  const std::vector<std::string> a = texts(engine.complete(first));
  const std::vector<std::string> b = texts(engine.complete(second));
  const std::vector<std::string> expected = {a[0], b[0], a[1]};
  CHECK(remote == expected);
  CHECK(sampler.counters().requests == 2);
  CHECK(sampler.counters().failures == 0);

  CHECK(serve.stop() == 0);
  ::unsetenv("SPCT_TEST_SERVE_TOKEN");
}

}  // namespace
}  // namespace spct::serve
