#include "models/tokenizer/char_tokenizer.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using Catch::Matchers::Contains;
using spct::tokenizer::CharTokenizer;

TEST_CASE("the character vocabulary is fixed: specials, newline, then printable ASCII", "[tokenizer][char]") {
  const CharTokenizer tokenizer;
  CHECK(tokenizer.vocab_size() == 99);
  CHECK(tokenizer.pad_id() == 0);
  CHECK(tokenizer.bos_id() == 1);
  CHECK(tokenizer.eos_id() == 2);
  CHECK(tokenizer.token_to_id("\n") == 3);
  // Every printable character has the id 4 + (c - 32), and ids cover the range without gaps.
  for (int c = 32; c <= 126; ++c) {
    const std::string text(1, static_cast<char>(c));
    CHECK(tokenizer.encode(text) == std::vector<int32_t>{4 + (c - 32)});
    CHECK(tokenizer.id_to_token(4 + (c - 32)) == text);
  }
  CHECK(tokenizer.token_to_id("<eos>") == 2);
  CHECK_FALSE(tokenizer.token_to_id("ab").has_value());
  CHECK_FALSE(tokenizer.token_to_id("\t").has_value());
}

TEST_CASE("char encode and decode round-trip, with specials in the text", "[tokenizer][char]") {
  const CharTokenizer tokenizer;
  const std::string text = "12+30=42\nx y~<eos>";
  const auto ids = tokenizer.encode(text);
  CHECK(ids.size() == text.size() - 4);  // "<eos>" is one token
  CHECK(ids.back() == CharTokenizer::kEos);
  CHECK(tokenizer.decode(ids) == text);
  CHECK(tokenizer.decode(ids, /*skip_special=*/true) == "12+30=42\nx y~");
  const auto framed = tokenizer.encode("ab", /*add_special=*/true);
  CHECK(framed == std::vector<int32_t>{CharTokenizer::kBos, tokenizer.encode("a")[0], tokenizer.encode("b")[0]});
  CHECK(tokenizer.encode("").empty());
  CHECK(tokenizer.encode("<eo").size() == 3);  // an incomplete special is plain text
}

TEST_CASE("char tokenizer rejects characters outside its vocabulary, naming the offset", "[tokenizer][char]") {
  const CharTokenizer tokenizer;
  CHECK_THROWS_AS(tokenizer.encode("abc\tdef"), spct::InputError);
  CHECK_THROWS_WITH(tokenizer.encode("abc\tdef"), Contains("offset 3") && Contains("0x09"));
  CHECK_THROWS_WITH(tokenizer.encode("caf\xc3\xa9"), Contains("offset 3") && Contains("0xc3"));
  CHECK(tokenizer.decode(std::vector<int32_t>{5, 99}) == tokenizer.decode(std::vector<int32_t>{5}));  // no token has 99
  CHECK_THROWS_WITH(tokenizer.decode(std::vector<int32_t>{-1}), Contains("negative id -1"));
}
