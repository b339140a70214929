// BpeTokenizer against Hugging Face's own `tokenizers` (tests/reference/tokenize_reference.py) on the five
// real tokenizer files in SPCT_SHARED_DIR/data/tokenizers: byte-level (Qwen 3, Llama 3, DeepSeek-V3) and
// SentencePiece-style (Llama 2, Gemma 3). For every text of the corpus (tests/data/tokenizer/corpus.json, long
// inputs built from it, and random mixtures) the ids with and without the post-processor's special tokens and
// the decoded text (with and without special tokens) must be identical. A sample is also checked against the
// offline node tokenizer in SPCT_SHARED_DIR/oracle, an implementation independent of both.
#include "tests/unit/tokenizer/reference.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "models/tokenizer/bpe_tokenizer.h"

using spct::testing::run_reference;
using spct::testing::shared_tokenizer_dir;
using spct::tokenizer::BpeTokenizer;

namespace {

// The reference's run time is dominated by loading the tokenizer (Gemma 3: 33 MB of JSON); on a loaded
// 2-core machine that takes seconds, never minutes. The CTest timeout (CMakeLists.txt) is above this.
constexpr int kReferenceDeadlineS = 240;
// node's encode.mjs loads the tokenizer again for every text: up to ~10 s each for Gemma 3 when idle.
constexpr int kNodeDeadlineS = 120;

std::vector<std::string> corpus_file_texts() {
  const std::string path = std::string(SPCT_SOURCE_DIR) + "/tests/data/tokenizer/corpus.json";
  std::ifstream in(path);
  REQUIRE(in.good());
  const auto document = nlohmann::json::parse(in);
  std::vector<std::string> texts;
  for (const auto& [category, list] : document.at("texts").items()) {
    for (const auto& text : list) texts.push_back(text.get<std::string>());
  }
  return texts;
}

// Tens of KB each: the whole corpus joined (every script and separator next to every other), and long runs
// of one kind (CJK without spaces, digits, whitespace) that a SentencePiece-style model sees as one word.
std::vector<std::string> long_texts(const std::vector<std::string>& texts) {
  std::string joined, glued;
  while (joined.size() < 40000) {
    for (const auto& text : texts) joined += text + "\n\n";
  }
  while (glued.size() < 20000) {
    for (const auto& text : texts) glued += text;
  }
  std::string cjk, digits, spaces;
  while (cjk.size() < 20000) cjk += "\u4eba\u5de5\u667a\u80fd\u6b63\u5728\u6539\u53d8\u4e16\u754c\u3002";
  for (int i = 0; digits.size() < 20000; ++i) digits += std::to_string(i * 7919) + (i % 5 ? "" : " ");
  for (int i = 0; spaces.size() < 20000; ++i)
    spaces += std::string(static_cast<size_t>(i % 9), ' ') + (i % 3 ? "\t" : "\r\n") + "w";
  return {joined, glued, cjk, digits, spaces};
}

// Random strings over pieces from every class the normalizers, pre-tokenizers and added-token matchers tell
// apart, so that unusual neighbours (digits after CJK, "▁" after a special token, marks after punctuation) meet.
std::vector<std::string> random_texts(size_t count) {
  const std::vector<std::string> pool = {"a",
                                         "b",
                                         "Z",
                                         "e",
                                         " ",
                                         " ",
                                         "  ",
                                         "\t",
                                         "\n",
                                         "\r\n",
                                         "0",
                                         "7",
                                         "42",
                                         "'",
                                         "'s",
                                         "'ll",
                                         ".",
                                         ",",
                                         "!",
                                         "?",
                                         "-",
                                         "_",
                                         "(",
                                         ")",
                                         "{",
                                         "\"",
                                         "#",
                                         "\u00e9",
                                         "e\u0301",
                                         "\u00df",
                                         "\u4e2d",
                                         "\u6587",
                                         "\u3002",
                                         "\uff01",
                                         "\u3042",
                                         "\ud55c",
                                         "\u0416",
                                         "\u03a9",
                                         "\u0639",
                                         "\u05e9",
                                         "\u0915\u094d",
                                         "\u0e2a",
                                         "\U0001F600",
                                         "\U0001F44D\U0001F3FD",
                                         "\u200d",
                                         "\u00a0",
                                         "\u2581",
                                         "\U0001F9EC",
                                         "\U00013000",
                                         "\ufb01",
                                         "<|im_end|>",
                                         "<|eot_id|>",
                                         "<think>",
                                         "<s>",
                                         "</s>",
                                         "<bos>",
                                         "<start_of_turn>",
                                         "<|",
                                         "|>",
                                         "hello",
                                         "World",
                                         "TEST",
                                         "x1",
                                         "\u2581\u2581",
                                         "<\uff5cUser\uff5c>",
                                         "<0x41>",
                                         "\n\n"};
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1), length(0, 24);
  std::vector<std::string> texts;
  for (size_t i = 0; i < count; ++i) {
    std::string text;
    for (size_t n = length(rng); n > 0; --n) text += pool[pick(rng)];
    texts.push_back(std::move(text));
  }
  return texts;
}

std::vector<std::string> corpus() {
  std::vector<std::string> texts = corpus_file_texts();
  for (auto& text : long_texts(texts)) texts.push_back(std::move(text));
  for (auto& text : random_texts(300)) texts.push_back(std::move(text));
  return texts;
}

// A text for failure messages: long ones cut, so that a mismatch in a 40 KB input stays readable.
std::string shown(const std::string& text) {
  return text.size() <= 300 ? text : text.substr(0, 300) + "... (" + std::to_string(text.size()) + " bytes)";
}

void check_against_reference(const std::string& name) {
  const std::string json = shared_tokenizer_dir(name) + "/tokenizer.json";
  const std::vector<std::string> texts = corpus();
  const auto answer = run_reference(json, texts, kReferenceDeadlineS);
  REQUIRE(answer.ids.size() == texts.size());
  const auto tokenizer = BpeTokenizer::load(json);
  size_t differing = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(name << " text " << i << ": \"" << shown(texts[i]) << "\"");
    const auto ids = tokenizer->encode(texts[i]);
    CHECK(ids == answer.ids[i]);
    CHECK(tokenizer->encode(texts[i], /*add_special=*/true) == answer.ids_special[i]);
    CHECK(tokenizer->decode(answer.ids[i]) == answer.decoded[i]);
    CHECK(tokenizer->decode(answer.ids[i], /*skip_special=*/true) == answer.decoded_skip[i]);
    if (ids != answer.ids[i] && ++differing > 10) FAIL("more than 10 texts differ from the reference");
  }
  std::cout << name << ": " << texts.size() << " texts compared with tokenizers " << answer.tokenizers_version
            << " (ids, ids with special tokens, decoded text with and without special tokens)\n";
}

void check_against_node(const std::string& name) {
  if (!spct::testing::node_reference_available()) {
    FAIL("node or " << SPCT_SHARED_DIR << "/oracle/encode.mjs is missing (scripts/install-deps.sh installs nodejs)");
  }
  const std::string dir = shared_tokenizer_dir(name);
  std::vector<std::string> sample = corpus_file_texts();
  std::string all;  // every corpus text in one input; argv cannot carry NUL bytes, so those texts stay out
  for (const auto& text : sample) {
    if (text.find('\0') == std::string::npos) all += text + "\n";
  }
  sample = {all, "<|im_start|>user\nHi<|im_end|><s>[INST] x [/INST]</s><bos><start_of_turn>model\n",
            "  lead\t\ttabs  \r\n\r\n  trail  "};
  const auto tokenizer = BpeTokenizer::load(dir + "/tokenizer.json");
  for (const auto& text : sample) {
    INFO(name << ": \"" << shown(text) << "\"");
    CHECK(tokenizer->encode(text) == spct::testing::run_node_reference(dir, text, kNodeDeadlineS));
  }
}

}  // namespace

TEST_CASE("qwen3 tokenizer.json: ids and text identical to Hugging Face tokenizers", "[tokenizer][reference]") {
  check_against_reference("qwen3");
}
TEST_CASE("llama3 tokenizer.json: ids and text identical to Hugging Face tokenizers", "[tokenizer][reference]") {
  check_against_reference("llama3");
}
TEST_CASE("deepseek_v3 tokenizer.json: ids and text identical to Hugging Face tokenizers", "[tokenizer][reference]") {
  check_against_reference("deepseek_v3");
}
TEST_CASE("llama2 tokenizer.json: ids and text identical to Hugging Face tokenizers", "[tokenizer][reference]") {
  check_against_reference("llama2");
}
TEST_CASE("gemma3 tokenizer.json: ids and text identical to Hugging Face tokenizers", "[tokenizer][reference]") {
  check_against_reference("gemma3");
}

TEST_CASE("all five tokenizers agree with the offline node tokenizer on a sample", "[tokenizer][reference][node]") {
  for (const char* name : {"qwen3", "llama3", "deepseek_v3", "llama2", "gemma3"}) check_against_node(name);
}
