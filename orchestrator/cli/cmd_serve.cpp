// `spct serve MODEL_DIR [--host H] [--port P] [--api-key-env VAR] ...`: hosts a Hugging Face model directory
// behind an OpenAI-compatible completions API (orchestrator/serve/), so a remote GRM backend, scripts or other
// tools can sample from any spct model. Serves until SIGINT or SIGTERM.
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/http/http_server.h"
#include "models/io/hf_model_dir.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/serve/completion_engine.h"
#include "orchestrator/serve/completion_routes.h"

namespace spct::cli {
namespace {

struct ServeArgs {
  std::string model_dir;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string api_key_env;
  std::string model_name;  // empty: the model directory's name
  std::string tokenizer;   // empty: the model directory's tokenizer.json
  std::string port_file;
  int threads = 0;
  int64_t max_batch = 64;
  int handler_threads = 16;
};

std::string read_api_key(const std::string& variable) {
  if (variable.empty()) return {};
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    throw UsageError("--api-key-env: the environment variable " + variable + " is not set or empty");
  }
  return value;
}

std::string default_model_name(const std::string& model_dir) {
  std::filesystem::path path(model_dir);
  if (!path.has_filename()) path = path.parent_path();
  return path.filename().string();
}

void run_serve(const ServeArgs& args) {
  const std::string api_key = read_api_key(args.api_key_env);
  if (args.threads > 0) at::set_num_threads(args.threads);

  // The signals that end the server are blocked before any thread starts, so every thread inherits the mask
  // and sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::open_tokenizer(args.tokenizer.empty() ? args.model_dir : args.tokenizer);
  std::shared_ptr<const models::Transformer> model = model_io::load_hf_model(args.model_dir);
  serve::CompletionEngine engine(model, tokenizer, {.max_batch = args.max_batch});

  serve::RoutesOptions routes_options;
  routes_options.model_name = args.model_name.empty() ? default_model_name(args.model_dir) : args.model_name;
  routes_options.api_key = api_key;
  routes_options.limits.max_tokens = engine.max_position();
  serve::CompletionRoutes routes(
      routes_options, [&engine](const serve::CompletionRequest& request) { return engine.complete(request); });

  http::ServerOptions server_options;
  server_options.host = args.host;
  server_options.port = static_cast<uint16_t>(args.port);
  server_options.handler_threads = args.handler_threads;
  // A long generation must not count against the client's connection: the deadlines cover reading the
  // request and writing the answer only.
  http::HttpServer server(server_options, [&routes](const http::Request& request) { return routes.handle(request); });

  const std::string url = "http://" + args.host + ":" + std::to_string(server.port());
  if (!args.port_file.empty()) write_file_atomically(args.port_file, std::to_string(server.port()) + "\n");
  spdlog::info("serving {} as \"{}\" on {}{}", args.model_dir, routes_options.model_name, url,
               api_key.empty() ? "" : " (bearer token required)");
  std::cout << "listening on " << url << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {}: stopping the server", signal);
  server.stop();
  const serve::EngineStats stats = engine.stats();
  spdlog::info("served {} requests ({} sequences) in {} batches", stats.requests, stats.sequences, stats.batches);
}

}  // namespace

void register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* command =
      app.add_subcommand("serve", "Serve a Hugging Face model directory over an OpenAI-compatible completions API");
  command->add_option("model_dir", args->model_dir, "A model directory (config.json, safetensors weights)")->required();
  command->add_option("--host", args->host, "Address to listen on (0.0.0.0 for every interface)")
      ->capture_default_str();
  command->add_option("--port", args->port, "Port to listen on; 0 picks a free one (see --port-file)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_option("--api-key-env", args->api_key_env,
                      "Name of an environment variable holding a bearer token the /v1 routes then require");
  command->add_option("--model-name", args->model_name,
                      "The name clients use in \"model\" (default: the model directory's name)");
  command->add_option("--tokenizer", args->tokenizer,
                      "\"char\", a tokenizer.json file or a directory holding one (default: MODEL_DIR)");
  command->add_option("--port-file", args->port_file, "Write the bound port to this file once listening");
  command->add_option("--threads", args->threads, "ATen threads; 0 keeps LibTorch's default")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--max-batch", args->max_batch, "Sequences generated together in one batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--handler-threads", args->handler_threads,
                   "Requests accepted at once (waiting ones are batched together)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->callback([args] { run_serve(*args); });
}

}  // namespace spct::cli
