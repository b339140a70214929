#include "models/tokenizer/model_chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "models/tokenizer/jinja/template.h"

namespace spct::tokenizer {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// The named special tokens transformers passes to chat templates (PreTrainedTokenizerBase.special_tokens_map):
// each a string or an AddedToken object {"content": ...}; absent and null ones are left out.
nlohmann::ordered_json special_tokens_of(const nlohmann::ordered_json& config, const std::string& file) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  const auto add = [&](const std::string& name, const nlohmann::ordered_json& value) {
    if (value.is_string()) {
      tokens[name] = value;
    } else if (value.is_object() && value.contains("content") && value["content"].is_string()) {
      tokens[name] = value["content"];
    } else if (!value.is_null()) {
      throw InputError(file + ": \"" + name + "\" must be a string or an object with a \"content\" string");
    }
  };
  for (const char* name :
       {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    if (config.contains(name)) add(name, config[name]);
  }
  if (config.contains("extra_special_tokens") && config["extra_special_tokens"].is_object()) {
    for (const auto& [name, value] : config["extra_special_tokens"].items()) add(name, value);
  }
  return tokens;
}

// The template text of the config's "chat_template": a string, or the "default" of a list of named templates.
std::optional<std::string> config_template(const nlohmann::ordered_json& config, const std::string& file) {
  if (!config.contains("chat_template") || config["chat_template"].is_null()) return std::nullopt;
  const nlohmann::ordered_json& value = config["chat_template"];
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) throw InputError(file + ": \"chat_template\" must be a string or a list of named templates");
  std::string names;
  for (const auto& entry : value) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
        !entry["template"].is_string()) {
      throw InputError(file + ": each entry of \"chat_template\" must be {\"name\": ..., \"template\": ...}");
    }
    if (entry["name"] == "default") return entry["template"].get<std::string>();
    names += (names.empty() ? "" : ", ") + entry["name"].get<std::string>();
  }
  throw InputError(file + ": \"chat_template\" has several templates (" + names + ") and none named \"default\"");
}

}  // namespace

std::optional<ModelChatTemplate> ModelChatTemplate::find(const std::string& dir) {
  const fs::path config_path = fs::path(dir) / "tokenizer_config.json";
  const fs::path jinja_path = fs::path(dir) / "chat_template.jinja";
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  if (fs::exists(config_path)) {
    try {
      config = nlohmann::ordered_json::parse(read_file(config_path));
    } catch (const nlohmann::json::parse_error& error) {
      throw InputError(config_path.string() + ": not valid JSON (" + error.what() + ")");
    }
    if (!config.is_object()) throw InputError(config_path.string() + ": must be a JSON object");
  }
  std::optional<std::string> source;
  std::string origin;
  if (fs::exists(jinja_path)) {
    source = read_file(jinja_path);
    origin = jinja_path.string();
  } else {
    source = config_template(config, config_path.string());
    origin = config_path.string();
  }
  if (!source) return std::nullopt;
  try {
    auto compiled = std::make_shared<const jinja::Template>(jinja::Template::parse(*source));
    return ModelChatTemplate(std::move(compiled), origin, special_tokens_of(config, config_path.string()));
  } catch (const jinja::TemplateError& error) {
    throw InputError("chat template of " + origin + ": template line " + std::to_string(error.line()) + ", column " +
                     std::to_string(error.column()) + ": " + error.message());
  }
}

std::string ModelChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ChatMessage& message : messages) list.push_back({{"role", message.role}, {"content", message.content}});
  return render_json(list, add_generation_prompt);
}

std::string ModelChatTemplate::render_json(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                           const nlohmann::ordered_json& extra) const {
  if (!messages.is_array()) throw UsageError("chat messages must be a JSON array of objects");
  // As transformers does: keys whose value is null are dropped (templates test for absent keys), and tools and
  // documents are None unless given.
  nlohmann::ordered_json cleaned = nlohmann::ordered_json::array();
  for (const auto& message : messages) {
    if (!message.is_object()) throw UsageError("chat messages must be a JSON array of objects");
    nlohmann::ordered_json kept = nlohmann::ordered_json::object();
    for (const auto& [key, value] : message.items()) {
      if (!value.is_null()) kept[key] = value;
    }
    cleaned.push_back(std::move(kept));
  }
  nlohmann::ordered_json variables = special_tokens_;
  variables["tools"] = nullptr;
  variables["documents"] = nullptr;
  for (const auto& [name, value] : extra.items()) variables[name] = value;
  variables["messages"] = std::move(cleaned);
  variables["add_generation_prompt"] = add_generation_prompt;
  try {
    return compiled_->render(variables);
  } catch (const jinja::TemplateError& error) {
    const std::string where =
        "template line " + std::to_string(error.line()) + ", column " + std::to_string(error.column());
    if (error.raised()) {
      throw InputError("chat template of " + origin_ + " rejected the conversation (" + where +
                       "): " + error.message());
    }
    throw InputError("chat template of " + origin_ + " failed at " + where + ": " + error.message());
  }
}

}  // namespace spct::tokenizer
