// `spct tokenize TOKENIZER --text "..." [--json] [--add-special]`: shows how a tokenizer splits a text, for
// checking a tokenizer.json or a prompt format by hand. TOKENIZER is "char", a tokenizer.json file, or a
// model directory holding one.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "models/tokenizer/factory.h"
#include "orchestrator/cli/commands.h"

namespace spct::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer;
  std::string text;
  bool json = false;
  bool add_special = false;
};

void run_tokenize(const TokenizeArgs& args) {
  const auto tokenizer = tokenizer::open_tokenizer(args.tokenizer);
  const std::vector<int32_t> ids = tokenizer->encode(args.text, args.add_special);
  if (!args.json) {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
    return;
  }
  // The vocabulary's spelling of each token (byte-level BPE writes a space as "Ġ"), and the text each one
  // decodes to on its own (U+FFFD where a token holds part of a character).
  nlohmann::json tokens = nlohmann::json::array(), pieces = nlohmann::json::array();
  for (const int32_t id : ids) {
    tokens.push_back(tokenizer->id_to_token(id));
    const int32_t one[] = {id};
    pieces.push_back(tokenizer->decode(one));
  }
  const nlohmann::json out = {{"tokenizer", args.tokenizer},
                              {"ids", ids},
                              {"tokens", tokens},
                              {"pieces", pieces},
                              {"count", ids.size()},
                              {"vocab_size", tokenizer->vocab_size()}};
  std::cout << out.dump() << "\n";
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* command = app.add_subcommand("tokenize", "Print the token ids of a text");
  command->add_option("tokenizer", args->tokenizer, "\"char\", a tokenizer.json file, or a model directory holding one")
      ->required();
  command->add_option("--text", args->text, "The text to tokenize (special tokens such as <|im_end|> map to their ids)")
      ->required();
  command->add_flag("--json", args->json, "Print JSON with the ids, each token's spelling and its decoded text");
  command->add_flag("--add-special", args->add_special,
                    "Add the tokenizer's own framing (e.g. <bos> for char, a post-processor template for hf)");
  command->callback([args] { run_tokenize(*args); });
}

}  // namespace spct::cli
