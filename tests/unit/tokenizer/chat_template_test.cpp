#include "models/tokenizer/chat_template.h"

#include <catch2/catch.hpp>

using spct::tokenizer::ChatMessage;
using spct::tokenizer::ChatTemplate;
using spct::tokenizer::render_chat;

namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", " and 3+3? "}};

}  // namespace

TEST_CASE("none joins the contents with newlines and adds no generation prompt", "[tokenizer][chat]") {
  CHECK(render_chat(ChatTemplate::kNone, kConversation, true) == "Be brief.\n2+2?\n4\n and 3+3? ");
  CHECK(render_chat(ChatTemplate::kNone, std::vector<ChatMessage>{{"user", "12+7="}}, true) == "12+7=");
  CHECK(render_chat(ChatTemplate::kNone, {}, true).empty());
}

TEST_CASE("chatml frames each message and opens an assistant turn", "[tokenizer][chat]") {
  const std::string with_prompt = render_chat(ChatTemplate::kChatml, kConversation, true);
  CHECK(with_prompt ==
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
        "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n and 3+3? <|im_end|>\n<|im_start|>assistant\n");
  const std::string without = render_chat(ChatTemplate::kChatml, kConversation, false);
  CHECK(with_prompt == without + "<|im_start|>assistant\n");
}

TEST_CASE("llama3 starts with begin_of_text, trims contents and opens an assistant header", "[tokenizer][chat]") {
  const std::string text = render_chat(ChatTemplate::kLlama3, kConversation, true);
  CHECK(text ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nand 3+3?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(render_chat(ChatTemplate::kLlama3, kConversation, false) +
            "<|start_header_id|>assistant<|end_header_id|>\n\n" ==
        text);
}
