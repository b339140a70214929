// One training or evaluation prompt with its verifiable answer, as every dataset hands it to the orchestrator.
#pragma once

#include <string>
#include <vector>

namespace spct::data {

// One turn of a chat-style prompt; the tokenizer's chat template renders a list of them.
struct ChatMessage {
  std::string role;  // "system", "user", "assistant", ...
  std::string content;

  bool operator==(const ChatMessage&) const = default;
};

// Exactly one of `prompt` and `messages` is set: plain text, or chat turns to render with the chat template.
struct PromptItem {
  std::string id;  // stable across runs for the same data: "add/train/17", a JSONL "id", or "line-12"
  std::string prompt;
  std::vector<ChatMessage> messages;
  std::string answer;  // the reference answer rule rewards compare against

  bool is_chat() const { return !messages.empty(); }
  bool operator==(const PromptItem&) const = default;
};

}  // namespace spct::data
