// SentencePiece-style components that the five shared tokenizer files do not use, checked against Hugging
// Face tokenizers on variants of the real Llama 2 tokenizer.json (its vocabulary and merges, with the
// normalizer, pre-tokenizer, decoder or model options swapped): the Metaspace pre-tokenizer and decoder with
// each prepend_scheme, with and without split; NFKC and regex Replace normalizers; Split behaviours that merge
// delimiters; the Strip decoder at the end; ignore_merges on characters.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/tokenizer/bpe_tokenizer.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/tokenizer/reference.h"

using nlohmann::json;
using spct::tokenizer::BpeTokenizer;

namespace {

constexpr int kReferenceDeadlineS = 240;  // as in reference_test.cpp; Llama 2's file is smaller still

const std::vector<std::string> kTexts = {
    "",
    "Hello world",
    " leading space",
    "trailing space ",
    "two  spaces   three    four",
    "\u2581already\u2581marked \u2581\u2581 twice",
    "<s>after a special token</s> and <s> spaced",
    "Caf\u00e9 \uff21\uff22\uff23 \ufb01ne \u2460 \u00bd",  // NFKC changes all but the first word
    "tabs\tand\nnewlines\r\n and  \t mixed",
    "\u4e2d\u6587 \U0001F9EC \U00013000 \U0001F44D\U0001F3FD",  // byte fallback
    "Mixed\u4e2d\u6587English 123 4567",
};

json llama2() {
  std::ifstream in(spct::testing::shared_tokenizer_dir("llama2") + "/tokenizer.json");
  return json::parse(in);
}

json metaspace(const std::string& scheme, bool split) {
  return {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", scheme}, {"split", split}};
}

json decoders(const std::vector<json>& steps) {
  return {{"type", "Sequence"}, {"decoders", steps}};
}

void check_variant(const std::string& what, const json& document, const std::vector<std::string>& texts = kTexts) {
  spct::testing::TempDir dir;
  const std::string path = dir.write("tokenizer.json", document.dump());
  const auto answer = spct::testing::run_reference(path, texts, kReferenceDeadlineS);
  const auto tokenizer = BpeTokenizer::load(path);
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(what << ": \"" << texts[i] << "\"");
    CHECK(tokenizer->encode(texts[i]) == answer.ids[i]);
    CHECK(tokenizer->encode(texts[i], true) == answer.ids_special[i]);
    CHECK(tokenizer->decode(answer.ids[i]) == answer.decoded[i]);
    CHECK(tokenizer->decode(answer.ids[i], true) == answer.decoded_skip[i]);
  }
}

}  // namespace

TEST_CASE("Metaspace pre-tokenizer and decoder match Hugging Face for each prepend scheme",
          "[tokenizer][reference][sentencepiece]") {
  for (const char* scheme : {"always", "first", "never"}) {
    for (const bool split : {true, false}) {
      json document = llama2();
      document["normalizer"] = nullptr;
      document["pre_tokenizer"] = metaspace(scheme, split);
      document["decoder"] =
          decoders({metaspace(scheme, split), json{{"type", "ByteFallback"}}, json{{"type", "Fuse"}}});
      check_variant(std::string("Metaspace ") + scheme + (split ? ", split" : ", no split"), document);
    }
  }
}

TEST_CASE("NFKC, regex Replace, merging Split behaviours, Strip and ignore_merges match Hugging Face",
          "[tokenizer][reference][sentencepiece]") {
  // Hugging Face's Strip decoder panics on a text shorter than `stop` (the empty one), so that one stays out.
  const std::vector<std::string> texts(kTexts.begin() + 1, kTexts.end());
  json document = llama2();
  document["normalizer"] = {{"type", "Sequence"},
                            {"normalizers",
                             {{{"type", "NFKC"}},
                              {{"type", "Replace"}, {"pattern", {{"Regex", "[\\t\\r\\n]+"}}}, {"content", " "}},
                              {{"type", "Prepend"}, {"prepend", "\u2581"}},
                              {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
  for (const char* behavior : {"MergedWithNext", "MergedWithPrevious", "Isolated", "Removed"}) {
    document["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"String", "\u2581"}}}, {"behavior", behavior}, {"invert", false}};
    document["decoder"] = decoders({json{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                                    json{{"type", "ByteFallback"}}, json{{"type", "Fuse"}},
                                    json{{"type", "Strip"}, {"content", " "}, {"start", 2}, {"stop", 1}}});
    check_variant(std::string("Split ") + behavior, document, texts);
  }
  document["model"]["ignore_merges"] = true;
  check_variant("ignore_merges", document, texts);
}
