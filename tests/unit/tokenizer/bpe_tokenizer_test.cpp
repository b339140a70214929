// BpeTokenizer on small tokenizer.json files written by the tests: merge ranks, both merge spellings, added
// tokens, ignore_merges, special-token discovery, and malformed files.
#include "models/tokenizer/bpe_tokenizer.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "models/tokenizer/byte_level.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using nlohmann::json;
using spct::testing::TempDir;
using spct::tokenizer::BpeTokenizer;

namespace {

// A byte-level tokenizer.json: ids 0..255 are the single bytes, then one token per merge, in merge order.
// Merges are given as pairs of raw strings ("h", "e"); they are written in the byte-level spelling, as
// strings "a b" or, with `array_merges`, as ["a", "b"].
json tiny_tokenizer(const std::vector<std::pair<std::string, std::string>>& merges, bool array_merges = false) {
  using spct::tokenizer::byte_level::spell;
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[spell(std::string(1, static_cast<char>(b)))] = b;
  json merge_list = json::array();
  for (const auto& [left, right] : merges) {
    if (!vocab.contains(spell(left + right))) vocab[spell(left + right)] = vocab.size();
    if (array_merges) {
      merge_list.push_back({spell(left), spell(right)});
    } else {
      merge_list.push_back(spell(left) + " " + spell(right));
    }
  }
  return {
      {"version", "1.0"},
      {"added_tokens",
       {{{"id", 1000}, {"content", "<|end|>"}, {"special", true}},
        {{"id", 1003}, {"content", "</s>"}, {"special", true}},
        {{"id", 1001}, {"content", "<tag>"}, {"special", false}, {"lstrip", true}, {"rstrip", true}},
        {{"id", 1002}, {"content", "<tag>x"}, {"special", false}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern", {{"Regex", R"( ?\p{L}+| ?\p{N}| ?[^\s\p{L}\p{N}]+|\s+)"}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}, {"ignore_merges", false}}},
  };
}

const std::vector<std::pair<std::string, std::string>> kHelloMerges = {
    {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {"o", "r"}, {" w", "or"}, {"l", "d"}};

std::vector<int32_t> ids_of(const BpeTokenizer& tokenizer, std::initializer_list<const char*> tokens) {
  std::vector<int32_t> ids;
  for (const char* token : tokens) {
    const auto id = tokenizer.token_to_id(spct::tokenizer::byte_level::spell(token));
    REQUIRE(id.has_value());
    ids.push_back(*id);
  }
  return ids;
}

// The message of the InputError that loading `document` (as text) throws.
std::string load_error(const std::string& text) {
  TempDir dir;
  const std::string path = dir.write("tokenizer.json", text);
  try {
    BpeTokenizer::load(path);
  } catch (const spct::InputError& e) {
    std::string message = e.what();
    CHECK_THAT(message, Contains(path));
    return message;
  }
  FAIL("expected an InputError for " << text.substr(0, 200));
  return "";
}

}  // namespace

TEST_CASE("BPE merges by rank, not by position", "[tokenizer][bpe]") {
  TempDir dir;
  for (const bool array_merges : {false, true}) {
    const auto tokenizer = BpeTokenizer::load(dir.write("t.json", tiny_tokenizer(kHelloMerges, array_merges).dump()));
    CHECK(tokenizer->encode("hello world") == ids_of(*tokenizer, {"hello", " wor", "ld"}));
    CHECK(tokenizer->encode("hell") == ids_of(*tokenizer, {"hell"}));
    CHECK(tokenizer->encode("ohell") == ids_of(*tokenizer, {"o", "hell"}));
  }
  // "a b" outranks "b c": "abc" -> "ab" + "c". Swapping the ranks flips the result.
  const auto ab_first = BpeTokenizer::load(dir.write("ab.json", tiny_tokenizer({{"a", "b"}, {"b", "c"}}).dump()));
  CHECK(ab_first->encode("abc") == ids_of(*ab_first, {"ab", "c"}));
  const auto bc_first = BpeTokenizer::load(dir.write("bc.json", tiny_tokenizer({{"b", "c"}, {"a", "b"}}).dump()));
  CHECK(bc_first->encode("abc") == ids_of(*bc_first, {"a", "bc"}));
  // Equal ranks (the same pair twice) merge leftmost first: "aaa" -> "aa" + "a".
  const auto aa = BpeTokenizer::load(dir.write("aa.json", tiny_tokenizer({{"a", "a"}}).dump()));
  CHECK(aa->encode("aaa") == ids_of(*aa, {"aa", "a"}));
  CHECK(aa->encode("aaaa") == ids_of(*aa, {"aa", "aa"}));
}

TEST_CASE("BPE results are cached per word and stay correct", "[tokenizer][bpe]") {
  TempDir dir;
  const auto tokenizer = BpeTokenizer::load(dir.write("t.json", tiny_tokenizer(kHelloMerges).dump()));
  const auto first = tokenizer->encode("hello hello hello");
  CHECK(tokenizer->cached_words() == 2);  // "hello" and " hello"
  CHECK(tokenizer->encode("hello hello hello") == first);
  CHECK(tokenizer->decode(first) == "hello hello hello");
}

TEST_CASE("concurrent encodes agree with sequential ones", "[tokenizer][bpe]") {
  TempDir dir;
  const auto tokenizer = BpeTokenizer::load(dir.write("t.json", tiny_tokenizer(kHelloMerges).dump()));
  // Many distinct words, so that the threads insert into the shared word cache while others read it.
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    std::string text;
    for (int w = 0; w < 50; ++w) text += " hello" + std::to_string(i * 50 + w) + "world" + std::string(w % 7, 'l');
    texts.push_back(text);
  }
  std::vector<std::vector<std::vector<int32_t>>> results(4, std::vector<std::vector<int32_t>>(texts.size()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < texts.size(); ++i)
        results[t][(i + t * 16) % texts.size()] = tokenizer->encode(texts[(i + t * 16) % texts.size()]);
    });
  }
  for (auto& thread : threads) thread.join();
  const auto fresh = BpeTokenizer::load(dir.write("fresh.json", tiny_tokenizer(kHelloMerges).dump()));
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto expected = fresh->encode(texts[i]);
    for (const auto& result : results) CHECK(result[i] == expected);
    CHECK(tokenizer->decode(expected) == texts[i]);
  }
}

TEST_CASE("ignore_merges takes a whole word that is in the vocabulary", "[tokenizer][bpe]") {
  TempDir dir;
  json document = tiny_tokenizer({{"a", "b"}, {"b", "c"}});
  document["model"]["vocab"]["abc"] = 900;  // reachable by no merge sequence
  const auto merging = BpeTokenizer::load(dir.write("m.json", document.dump()));
  CHECK(merging->encode("abc") == ids_of(*merging, {"ab", "c"}));
  document["model"]["ignore_merges"] = true;
  const auto whole = BpeTokenizer::load(dir.write("w.json", document.dump()));
  CHECK(whole->encode("abc") == std::vector<int32_t>{900});
  CHECK(whole->encode("abcab") == ids_of(*whole, {"ab", "c", "ab"}));  // not in vocab: merges as usual
}

TEST_CASE("added tokens: longest match first, lstrip and rstrip, special skipping", "[tokenizer][bpe]") {
  TempDir dir;
  const auto tokenizer = BpeTokenizer::load(dir.write("t.json", tiny_tokenizer(kHelloMerges).dump()));
  CHECK(tokenizer->encode("he<|end|>") == std::vector<int32_t>{ids_of(*tokenizer, {"he"})[0], 1000});
  // "<tag>x" is longer than "<tag>" and wins where both match.
  CHECK(tokenizer->encode("<tag>x") == std::vector<int32_t>{1002});
  // <tag> strips the whitespace on both sides of it.
  CHECK(tokenizer->encode("hell  <tag>  o") ==
        std::vector<int32_t>{ids_of(*tokenizer, {"hell"})[0], 1001, ids_of(*tokenizer, {"o"})[0]});
  const std::vector<int32_t> ids = {ids_of(*tokenizer, {"hello"})[0], 1000, 1001};
  CHECK(tokenizer->decode(ids) == "hello<|end|><tag>");
  CHECK(tokenizer->decode(ids, /*skip_special=*/true) == "hello<tag>");
  CHECK(tokenizer->is_special(1000));
  CHECK_FALSE(tokenizer->is_special(1001));
  CHECK(tokenizer->vocab_size() == 1004);
  CHECK(tokenizer->id_to_token(1000) == "<|end|>");
}

TEST_CASE("eos, pad and bos come from tokenizer_config.json, else from well-known names", "[tokenizer][bpe]") {
  TempDir dir;
  json bare = tiny_tokenizer(kHelloMerges);
  bare["added_tokens"].erase(1);  // "</s>"
  const std::string path = dir.write("tokenizer.json", bare.dump());
  CHECK_THROWS_WITH(BpeTokenizer::load(path), Contains("no end-of-sequence token"));

  dir.write("tokenizer_config.json",
            R"({"eos_token": "<tag>", "pad_token": {"content": "<|end|>"}, "bos_token": null})");
  const auto configured = BpeTokenizer::load(path);
  CHECK(configured->eos_id() == 1001);
  CHECK(configured->pad_id() == 1000);
  CHECK_FALSE(configured->bos_id().has_value());

  dir.write("tokenizer_config.json", R"({"eos_token": "<nope>"})");
  CHECK_THROWS_WITH(BpeTokenizer::load(path),
                    Contains("tokenizer_config.json") && Contains("eos_token") && Contains("<nope>"));

  json document = tiny_tokenizer(kHelloMerges);
  document["added_tokens"][0]["content"] = "<|endoftext|>";
  const std::string other = dir.write("other/tokenizer.json", document.dump());
  const auto known = BpeTokenizer::load(other);
  CHECK(known->eos_id() == 1000);
  CHECK(known->pad_id() == 1000);
  CHECK_FALSE(known->bos_id().has_value());
}

TEST_CASE("decode repairs bytes that do not form characters, skips ids past the vocabulary, rejects negative ones",
          "[tokenizer][bpe]") {
  TempDir dir;
  const auto tokenizer = BpeTokenizer::load(dir.write("t.json", tiny_tokenizer(kHelloMerges).dump()));
  const auto ids = tokenizer->encode("\xc3\xa9");  // é: two single-byte tokens
  REQUIRE(ids.size() == 2);
  CHECK(tokenizer->decode(ids) == "\xc3\xa9");
  CHECK(tokenizer->decode(std::vector<int32_t>{ids[0]}) == "\xef\xbf\xbd");  // U+FFFD
  // A padded embedding's rows have no token: left out, as Hugging Face's decode does.
  CHECK(tokenizer->decode(std::vector<int32_t>{ids[0], 5000, ids[1]}) == "\xc3\xa9");
  CHECK_THROWS_WITH(tokenizer->decode(std::vector<int32_t>{-3}), Contains("negative id -3"));
  CHECK_THROWS_WITH(tokenizer->encode("ok\xff"), Contains("not valid UTF-8 at byte offset 2"));
}

// A SentencePiece-style tokenizer.json: characters "a", "b", "▁", the 256 "<0xNN>" byte tokens, "<unk>", and
// the merges "a b", "▁ ab"; spaces become "▁" (Replace), no pre-tokenizer.
json tiny_sentencepiece(bool byte_fallback) {
  json vocab = {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"\u2581", 3}, {"ab", 4}, {"\u2581ab", 5}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 6 + b;
  }
  return {{"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}}}},
          {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}},
          {"pre_tokenizer", nullptr},
          {"decoder",
           {{"type", "Sequence"},
            {"decoders",
             {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
              {{"type", "ByteFallback"}},
              {{"type", "Fuse"}}}}}},
          {"model",
           {{"type", "BPE"},
            {"vocab", vocab},
            {"merges", {"a b", "\u2581 ab"}},
            {"unk_token", "<unk>"},
            {"fuse_unk", true},
            {"byte_fallback", byte_fallback}}}};
}

TEST_CASE("SentencePiece-style BPE: characters, byte fallback, fused unknowns", "[tokenizer][bpe]") {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"eos_token": "<unk>"})");
  const auto fallback = BpeTokenizer::load(dir.write("tokenizer.json", tiny_sentencepiece(true).dump()));
  CHECK(fallback->encode("ab ab") == std::vector<int32_t>{4, 5});
  // "é" (C3 A9) is not a token: its two bytes are.
  CHECK(fallback->encode("a\u00e9") == std::vector<int32_t>{1, 6 + 0xC3, 6 + 0xA9});
  CHECK(fallback->decode(std::vector<int32_t>{1, 6 + 0xC3, 6 + 0xA9, 5}) == "a\u00e9 ab");
  // A lone byte of a character decodes to one U+FFFD per byte token.
  CHECK(fallback->decode(std::vector<int32_t>{6 + 0xC3, 1}) == "\ufffda");
  const auto unknown = BpeTokenizer::load(dir.write("tokenizer.json", tiny_sentencepiece(false).dump()));
  CHECK(unknown->encode("a\u00e9\u00e8b") == std::vector<int32_t>{1, 0, 2});  // two unknowns fused into one

  json no_unk = tiny_sentencepiece(false);
  no_unk["model"].erase("unk_token");
  const auto strict = BpeTokenizer::load(dir.write("tokenizer.json", no_unk.dump()));
  CHECK_THROWS_WITH(strict->encode("a\u00e9"), Contains("character U+00E9 has no token"));
}

TEST_CASE("malformed tokenizer.json files are InputErrors naming the file and JSON path", "[tokenizer][bpe]") {
  const std::string good = tiny_tokenizer(kHelloMerges).dump();
  SECTION("truncated") {
    CHECK_THAT(load_error(good.substr(0, good.size() / 2)), Contains("malformed JSON at byte"));
    CHECK_THAT(load_error(""), Contains("malformed JSON at byte"));
  }
  SECTION("wrong types") {
    json doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["vocab"]["h"] = "seven";
    CHECK_THAT(load_error(doc.dump()), Contains("model.vocab[\"h\"]") && Contains("expected an integer"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["merges"] = "h e";
    CHECK_THAT(load_error(doc.dump()), Contains("model.merges") && Contains("expected an array"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["merges"][2] = 17;
    CHECK_THAT(load_error(doc.dump()), Contains("model.merges[2]"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["added_tokens"][1]["id"] = -4;
    CHECK_THAT(load_error(doc.dump()), Contains("added_tokens[1].id") && Contains("out of range"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["added_tokens"][0]["special"] = "yes";
    CHECK_THAT(load_error(doc.dump()), Contains("added_tokens[0].special") && Contains("true or false"));
    CHECK_THAT(load_error("[1, 2]"), Contains("(top level)") && Contains("expected an object"));
  }
  SECTION("missing or inconsistent parts") {
    json doc = tiny_tokenizer(kHelloMerges);
    doc.erase("model");
    CHECK_THAT(load_error(doc.dump()), Contains("missing required key \"model\""));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["merges"][1] = "Q Z";
    doc["model"]["vocab"].erase("QZ");
    CHECK_THAT(load_error(doc.dump()), Contains("model.merges[1]") && Contains("QZ"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["merges"][0] = "h e x";
    CHECK_THAT(load_error(doc.dump()), Contains("model.merges[0]") && Contains("one space"));
  }
  SECTION("unsupported components") {
    json doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["type"] = "WordPiece";
    CHECK_THAT(load_error(doc.dump()), Contains("model.type") && Contains("WordPiece"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["pre_tokenizer"]["pretokenizers"][0]["type"] = "CharDelimiterSplit";
    CHECK_THAT(load_error(doc.dump()),
               Contains("pre_tokenizer.pretokenizers[0].type") && Contains("CharDelimiterSplit"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Metaspace"}, {"prepend_scheme", "sometimes"}};
    CHECK_THAT(load_error(doc.dump()),
               Contains("pre_tokenizer.pretokenizers[0].prepend_scheme") && Contains("sometimes"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["decoder"] = {{"type", "WordPiece"}};
    CHECK_THAT(load_error(doc.dump()), Contains("decoder.type") && Contains("unsupported decoder \"WordPiece\""));
    doc = tiny_tokenizer(kHelloMerges);
    doc["decoder"] = {{"type", "Sequence"},
                      {"decoders", {{{"type", "Strip"}, {"content", "ab"}, {"start", 1}, {"stop", 0}}}}};
    CHECK_THAT(load_error(doc.dump()), Contains("decoder.decoders[0].content") && Contains("one character"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["dropout"] = 0.1;
    CHECK_THAT(load_error(doc.dump()), Contains("model.dropout") && Contains("not supported"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["model"]["byte_fallback"] = true;
    CHECK_THAT(load_error(doc.dump()), Contains("model.byte_fallback") && Contains("<0x00> is not in model.vocab"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
    CHECK_THAT(load_error(doc.dump()),
               Contains("pre_tokenizer.pretokenizers[0].pattern.Regex") && Contains("does not compile"));
    doc = tiny_tokenizer(kHelloMerges);
    doc["normalizer"] = {{"type", "Lowercase"}};
    CHECK_THAT(load_error(doc.dump()), Contains("normalizer.type") && Contains("Lowercase"));
  }
  SECTION("a file that is not there") {
    CHECK_THROWS_WITH(BpeTokenizer::load("/nonexistent/tokenizer.json"),
                      Contains("/nonexistent/tokenizer.json") && Contains("cannot read"));
  }
}
