// The chat templates of the five shared tokenizers (qwen3, llama3, llama2, gemma3, deepseek_v3), rendered by
// ModelChatTemplate and by transformers' apply_chat_template(tokenize=False) on the same conversations, compared
// byte for byte; conversations a template rejects must fail in spct with the template's own message.
#include "models/tokenizer/model_chat_template.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/tokenizer/chat_format.h"
#include "models/tokenizer/chat_template.h"
#include "tests/unit/chat_template/reference.h"

using nlohmann::ordered_json;
using spct::tokenizer::ModelChatTemplate;

namespace {

namespace fs = std::filesystem;

const fs::path kTokenizers = fs::path(SPCT_SHARED_DIR) / "data" / "tokenizers";
const std::vector<std::string> kModels = {"qwen3", "llama3", "llama2", "gemma3", "deepseek_v3"};

ordered_json chat(std::initializer_list<std::pair<const char*, const char*>> turns) {
  ordered_json messages = ordered_json::array();
  for (const auto& [role, content] : turns) messages.push_back({{"role", role}, {"content", content}});
  return messages;
}

struct Conversation {
  std::string name;
  ordered_json messages;
  ordered_json extra = ordered_json::object();
};

std::vector<Conversation> conversations() {
  const ordered_json tool_turns = ordered_json::parse(R"([
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "weather",
      "arguments": {"city": "Paris", "units": ["c", 1, 2.5, null, true]}}}]},
    {"role": "tool", "content": "{\"temp\": 21}"},
    {"role": "assistant", "content": "21 °C."}])");
  const ordered_json tools = ordered_json::parse(R"([{"type": "function", "function": {"name": "weather",
    "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  return {
      {"user", chat({{"user", "What is 2+2?"}})},
      {"system and user", chat({{"system", "You are terse."}, {"user", "What is 2+2?"}})},
      {"multi-turn", chat({{"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", " and 3+3? "}})},
      {"ends with the assistant", chat({{"user", "Hi"}, {"assistant", "Hello! How can I help?"}})},
      {"whitespace, unicode and tag-like text", chat({{"user", "  padded \n\n"},
                                                      {"assistant", "\tTabs\tand {{ braces }} {% raw %} <|im_end|>"},
                                                      {"user", "Héllo wörld 你好 🙂 \u2028 end"}})},
      {"reasoning", chat({{"user", "Think: 1+1?"},
                          {"assistant", "<think>\nadding\n</think>\n\n2"},
                          {"user", "2+2?"},
                          {"assistant", "<think>again</think>4"}})},
      {"two system turns", chat({{"system", "Rule one."}, {"system", "Rule two."}, {"user", "Go"}})},
      {"system in the middle", chat({{"user", "a"}, {"system", "mid"}, {"user", "b"}})},
      {"assistant first (gemma3 rejects)", chat({{"system", "S"}, {"assistant", "I start"}, {"user", "u"}})},
      {"two user turns (gemma3 rejects)", chat({{"user", "one"}, {"user", "two"}})},
      {"tool calls", tool_turns, {{"tools", tools}}},
      {"thinking off", chat({{"user", "Quick: 5*5?"}}), {{"enable_thinking", false}}},
  };
}

}  // namespace

TEST_CASE("the shared tokenizers' chat templates render as transformers' apply_chat_template", "[chat][reference]") {
  struct Case {
    std::string model;
    const Conversation* conversation;
    bool add_generation_prompt;
  };
  const std::vector<Conversation> all = conversations();
  std::vector<Case> cases;
  ordered_json request = ordered_json::array();
  for (const std::string& model : kModels) {
    for (const Conversation& conversation : all) {
      for (const bool add_generation_prompt : {false, true}) {
        cases.push_back({model, &conversation, add_generation_prompt});
        request.push_back({{"tokenizer", (kTokenizers / model).string()},
                           {"messages", conversation.messages},
                           {"add_generation_prompt", add_generation_prompt},
                           {"extra", conversation.extra}});
      }
    }
  }
  const ordered_json answer = spct::testing::run_chat_reference(request);
  const ordered_json& results = answer.at("results");
  REQUIRE(results.size() == cases.size());

  size_t identical = 0, rejected = 0, no_template = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO(c.model << ": " << c.conversation->name << ", add_generation_prompt " << c.add_generation_prompt);
    const ordered_json& expected = results[i];
    INFO("transformers: " << expected.dump());
    const std::optional<ModelChatTemplate> model_template = ModelChatTemplate::find((kTokenizers / c.model).string());
    if (!model_template) {
      // transformers refuses a tokenizer without a template; spct finds none (and falls back to a built-in).
      CHECK(expected.value("error", "") == "ValueError");
      no_template += expected.value("error", "") == "ValueError";
      continue;
    }
    std::string rendered, error;
    try {
      rendered = model_template->render_json(c.conversation->messages, c.add_generation_prompt, c.conversation->extra);
    } catch (const spct::InputError& e) {
      error = e.what();
    }
    if (expected.contains("text")) {
      CHECK(error.empty());
      CHECK(rendered == expected["text"].get<std::string>());
      identical += error.empty() && rendered == expected["text"].get<std::string>();
    } else {
      REQUIRE_FALSE(error.empty());
      CHECK_THAT(error, Catch::Matchers::Contains(model_template->origin()));
      if (expected["error"] == "TemplateError") {
        CHECK_THAT(error, Catch::Matchers::Contains("rejected the conversation") &&
                              Catch::Matchers::Contains(expected["message"].get<std::string>()));
      }
      ++rejected;
    }
  }
  std::cout << "chat templates: " << cases.size() << " renders of " << kModels.size() << " tokenizers compared with "
            << "transformers " << answer["transformers"].get<std::string>() << ": " << identical << " identical, "
            << rejected << " rejected by both, " << no_template << " without a template in both\n";
  CHECK(identical + rejected + no_template == cases.size());
  CHECK(identical > cases.size() / 2);  // the comparison is mostly of rendered text, not of refusals
}

TEST_CASE("the built-in templates agree with the models' own where their formats meet", "[chat][reference]") {
  // chatml is Qwen's format for conversations ending in a user turn; llama3's built-in is Meta's template, which
  // always ends with an assistant header.
  const std::vector<spct::tokenizer::ChatMessage> messages = {
      {"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", " and 3+3? "}};
  const auto qwen3 = ModelChatTemplate::find((kTokenizers / "qwen3").string());
  const auto llama3 = ModelChatTemplate::find((kTokenizers / "llama3").string());
  REQUIRE(qwen3);
  REQUIRE(llama3);
  for (const bool prompt : {false, true}) {
    CHECK(qwen3->render(messages, prompt) == render_chat(spct::tokenizer::ChatTemplate::kChatml, messages, prompt));
  }
  CHECK(llama3->render(messages, true) == render_chat(spct::tokenizer::ChatTemplate::kLlama3, messages, true));
}

TEST_CASE("a model directory's template: chat_template.jinja first, named templates, none, broken ones", "[chat]") {
  const fs::path dir = fs::temp_directory_path() / ("spct-chat-template-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
  };
  const std::vector<spct::tokenizer::ChatMessage> messages = {{"user", "hi"}};

  CHECK_FALSE(ModelChatTemplate::find(dir.string()));  // no tokenizer_config.json at all
  write("tokenizer_config.json", R"({"bos_token": {"__type": "AddedToken", "content": "<B>"}, "eos_token": null})");
  CHECK_FALSE(ModelChatTemplate::find(dir.string()));

  write("tokenizer_config.json", R"({"bos_token": {"content": "<B>"}, "chat_template": [
      {"name": "tool_use", "template": "tools"},
      {"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"}]})");
  auto found = ModelChatTemplate::find(dir.string());
  REQUIRE(found);
  CHECK(found->render(messages, false) == "<B>hi");
  CHECK(found->origin() == (dir / "tokenizer_config.json").string());

  write("chat_template.jinja", "[{{ messages[0].role }}]{% if add_generation_prompt %}>{% endif %}\n");
  found = ModelChatTemplate::find(dir.string());
  REQUIRE(found);
  CHECK(found->render(messages, true) == "[user]>");
  CHECK(found->origin() == (dir / "chat_template.jinja").string());

  write("chat_template.jinja", "line one\n{% for m in messages %}\n  {{ m.content + }}\n{% endfor %}");
  CHECK_THROWS_WITH(ModelChatTemplate::find(dir.string()),
                    Catch::Matchers::Contains("chat_template.jinja") && Catch::Matchers::Contains("template line 3"));
  fs::remove(dir / "chat_template.jinja");

  write("tokenizer_config.json", R"({"chat_template": [{"name": "a", "template": "x"}]})");
  CHECK_THROWS_WITH(ModelChatTemplate::find(dir.string()), Catch::Matchers::Contains("none named \"default\""));
  write("tokenizer_config.json", R"({"chat_template": 5})");
  CHECK_THROWS_AS(ModelChatTemplate::find(dir.string()), spct::InputError);
  write("tokenizer_config.json", "{ not json");
  CHECK_THROWS_WITH(ModelChatTemplate::find(dir.string()), Catch::Matchers::Contains("not valid JSON"));
  fs::remove_all(dir);
}

TEST_CASE("tokenizer.chat_template chooses a built-in template or the model's own", "[chat]") {
  using spct::config::ChatTemplateChoice;
  using spct::tokenizer::ChatFormat;
  using spct::tokenizer::ChatTemplate;
  const std::vector<spct::tokenizer::ChatMessage> messages = {{"user", "hi"}};
  const std::string qwen3 = (kTokenizers / "qwen3").string(), llama2 = (kTokenizers / "llama2").string();

  const ChatFormat model = ChatFormat::choose(ChatTemplateChoice::kModel, qwen3, ChatTemplate::kNone);
  CHECK(model.render(messages, true) == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  CHECK_THAT(model.describe(), Catch::Matchers::Contains("tokenizer_config.json"));
  CHECK(ChatFormat::choose(ChatTemplateChoice::kAuto, qwen3, ChatTemplate::kLlama3).describe() == model.describe());

  // llama2 ships no template: auto falls back, model refuses.
  CHECK(ChatFormat::choose(ChatTemplateChoice::kAuto, llama2, ChatTemplate::kChatml).describe() == "chatml");
  CHECK(ChatFormat::choose(ChatTemplateChoice::kAuto, "", ChatTemplate::kNone).render(messages, true) == "hi");
  CHECK_THROWS_WITH(ChatFormat::choose(ChatTemplateChoice::kModel, llama2, ChatTemplate::kNone),
                    Catch::Matchers::Contains("has no chat template") && Catch::Matchers::Contains(llama2));
  CHECK_THROWS_WITH(ChatFormat::choose(ChatTemplateChoice::kModel, "", ChatTemplate::kNone),
                    Catch::Matchers::Contains("model.path"));
  CHECK(ChatFormat::choose(ChatTemplateChoice::kLlama3, qwen3, ChatTemplate::kNone).describe() == "llama3");

  // gemma3 rejects turns that do not alternate, with its own message.
  const ChatFormat gemma3 =
      ChatFormat::choose(ChatTemplateChoice::kModel, (kTokenizers / "gemma3").string(), ChatTemplate::kNone);
  const std::vector<spct::tokenizer::ChatMessage> twice = {{"user", "a"}, {"user", "b"}};
  CHECK_THROWS_WITH(
      gemma3.render(twice, true),
      Catch::Matchers::Contains("rejected the conversation") &&
          Catch::Matchers::Contains("Conversation roles must alternate user/assistant/user/assistant/..."));
}
