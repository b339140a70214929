// Runs the node tokenizer oracle (tests/oracle/encode.js, Hugging Face tokenizers via @lenml/tokenizers) for
// the tokenizer tests and the benchmark, and hands back its answer.
#pragma once

#include <string>
#include <vector>

#include "models/tokenizer/chat_template.h"

namespace spct::testing {

struct OracleChat {
  std::vector<tokenizer::ChatMessage> messages;
  bool add_generation_prompt = true;
};

struct OracleAnswer {
  std::string tokenizer_json;             // the file the oracle used: load the same one
  std::vector<std::vector<int32_t>> ids;  // per text
  std::vector<std::string> decoded;       // per text: the oracle's decode of its own ids
  std::vector<std::string> chat_texts;    // per chat: rendered by the model's Jinja chat template
};

// The tokenizer.json that the oracle package for `model` ("qwen3", "llama3") ships, under tests/oracle.
std::string oracle_tokenizer_json(const std::string& model);

// Throws std::runtime_error with instructions to run scripts/install-oracle.sh when the oracle's
// node_modules are not installed.
void require_oracle_installed();

// Asks the oracle for `model`; throws std::runtime_error with node's stderr when it fails or takes more than
// `timeout_s` seconds.
OracleAnswer run_oracle(const std::string& model, const std::vector<std::string>& texts,
                        const std::vector<OracleChat>& chats = {}, int timeout_s = 120);

}  // namespace spct::testing
