#include "models/tokenizer/bpe_tokenizer.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/utf8.h"

namespace spct::tokenizer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read tokenizer file " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError("cannot read tokenizer file " + path + ": read error");
  return std::move(text).str();
}

nlohmann::json parse_json(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 7: ..."; keep the part
    // after the bracketed id.
    std::string message = e.what();
    if (const size_t bracket = message.find("] "); bracket != std::string::npos) message.erase(0, bracket + 2);
    throw InputError(path + ": malformed JSON at byte " + std::to_string(e.byte) + ": " + message);
  }
}

std::vector<AddedToken> read_added_tokens(const JsonView& root) {
  std::vector<AddedToken> tokens;
  const auto list = root.find("added_tokens");
  if (!list) return tokens;
  list->require_array();
  for (size_t i = 0; i < list->size(); ++i) {
    const JsonView entry = list->element(i);
    AddedToken token;
    token.id = entry.at("id").as_id();
    token.content = entry.at("content").as_string();
    if (token.content.empty()) entry.at("content").fail("an added token cannot be empty");
    token.special = entry.bool_or("special", false);
    token.lstrip = entry.bool_or("lstrip", false);
    token.rstrip = entry.bool_or("rstrip", false);
    token.single_word = entry.bool_or("single_word", false);
    // Hugging Face's default: special tokens match the raw text, others the normalized text.
    token.normalized = entry.bool_or("normalized", !token.special);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// The added tokens matched in the raw text (`normalized` false) or in the normalized text (true), the latter
// in their normalized form, the form they are matched in.
std::vector<AddedToken> matched_in(const std::vector<AddedToken>& tokens, bool normalized,
                                   const Normalizer& normalizer) {
  std::vector<AddedToken> out;
  for (const AddedToken& token : tokens) {
    if (token.normalized != normalized) continue;
    out.push_back(token);
    if (normalized) out.back().content = normalizer.apply(token.content);
  }
  return out;
}

// A special token named in tokenizer_config.json: a string, or {"content": "..."} in older files, or null.
std::optional<std::string> config_token(const JsonView& config, std::string_view key) {
  const auto value = config.find(key);
  if (!value) return std::nullopt;
  if (value->is_object()) return value->at("content").as_string();
  return value->as_string();
}

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::load(const std::string& path) {
  const nlohmann::json document = parse_json(read_file(path), path);
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(JsonView(document, path), path));
}

BpeTokenizer::BpeTokenizer(const JsonView& root, const std::string& path)
    : path_(path),
      normalizer_(Normalizer::from_json(root.find("normalizer"))),
      pre_tokenizer_(PreTokenizer::from_json(root.find("pre_tokenizer"))),
      model_(root.at("model"), pre_tokenizer_.byte_level()),
      decoder_(Decoder::from_json(root.find("decoder"))),
      added_(matched_in(read_added_tokens(root), false, normalizer_)),
      normalized_added_(matched_in(read_added_tokens(root), true, normalizer_)) {
  const std::vector<AddedToken> listed = read_added_tokens(root);  // in the file's own spelling

  int32_t limit = model_.id_limit();
  for (const AddedToken& token : listed) limit = std::max(limit, token.id + 1);
  spelling_.resize(static_cast<size_t>(limit));
  special_.resize(static_cast<size_t>(limit), false);
  for (const auto& [token, id] : model_.vocab()) spelling_[static_cast<size_t>(id)] = token;
  for (const AddedToken& token : listed) {
    const auto id = static_cast<size_t>(token.id);
    spelling_[id] = token.content;
    special_[id] = token.special;
    added_ids_.emplace(token.content, token.id);
  }
  if (decoder_.byte_level_only()) {
    bytes_.resize(spelling_.size());
    for (size_t id = 0; id < spelling_.size(); ++id) {
      // A spelling outside the byte-level alphabet decodes to its own UTF-8, as Hugging Face's decoder does.
      auto bytes = byte_level::unspell(spelling_[id]);
      bytes_[id] = bytes ? std::move(*bytes) : spelling_[id];
    }
  }
  read_post_processor(root.find("post_processor"));
  read_special_ids(path);
}

void BpeTokenizer::read_post_processor(const std::optional<JsonView>& json) {
  if (!json) return;
  const JsonView type = json->at("type");
  const std::string& name = type.as_string();
  if (name == "ByteLevel") return;  // it only adjusts offsets, which spct does not report
  if (name == "Sequence") {
    const JsonView list = json->at("processors");
    list.require_array();
    for (size_t i = 0; i < list.size(); ++i) read_post_processor(list.element(i));
    return;
  }
  if (name != "TemplateProcessing") {
    type.fail("unsupported post-processor \"" + name + "\" (supported: TemplateProcessing, ByteLevel, Sequence)");
  }
  // "single": [{"SpecialToken": {"id": "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}]; the ids of each
  // special token are listed under "special_tokens".
  const JsonView single = json->at("single");
  single.require_array();
  const JsonView specials = json->at("special_tokens");
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const JsonView piece = single.element(i);
    if (piece.find("Sequence")) {
      seen_sequence = true;
      continue;
    }
    const std::string& name_of_special = piece.at("SpecialToken").at("id").as_string();
    const JsonView ids = specials.at(name_of_special).at("ids");
    ids.require_array();
    for (size_t k = 0; k < ids.size(); ++k) {
      const int32_t id = ids.element(k).as_id();
      if (id >= vocab_size()) ids.element(k).fail("token id " + std::to_string(id) + " is not in the vocabulary");
      (seen_sequence ? suffix_ids_ : prefix_ids_).push_back(id);
    }
  }
}

void BpeTokenizer::read_special_ids(const std::string& path) {
  std::optional<std::string> eos, bos, pad;
  const std::string config_path = (std::filesystem::path(path).parent_path() / "tokenizer_config.json").string();
  if (std::filesystem::exists(config_path)) {
    const nlohmann::json document = parse_json(read_file(config_path), config_path);
    const JsonView config(document, config_path);
    config.require_object();
    eos = config_token(config, "eos_token");
    bos = config_token(config, "bos_token");
    pad = config_token(config, "pad_token");
    const auto check = [&](const std::optional<std::string>& token, const char* key) {
      if (token && !token_to_id(*token)) config.at(key).fail("\"" + *token + "\" is not a token of " + path);
    };
    check(eos, "eos_token");
    check(bos, "bos_token");
    check(pad, "pad_token");
  }
  const auto first_known = [&](std::initializer_list<const char*> names) -> std::optional<std::string> {
    for (const char* name : names) {
      if (token_to_id(name)) return std::string(name);
    }
    return std::nullopt;
  };
  if (!eos) eos = first_known({"<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"});
  if (!eos) {
    throw InputError(path +
                     ": no end-of-sequence token: tokenizer_config.json beside it names no eos_token, and "
                     "none of <|im_end|>, <|eot_id|>, <|endoftext|>, <|end_of_text|>, </s>, <eos> is a token");
  }
  if (!bos) bos = first_known({"<|begin_of_text|>", "<s>", "<bos>"});
  eos_id_ = *token_to_id(*eos);
  pad_id_ = pad ? *token_to_id(*pad) : eos_id_;
  if (bos) bos_id_ = token_to_id(*bos);
}

void BpeTokenizer::encode_plain(std::string_view text, bool starts_input, std::vector<int32_t>& ids) const {
  thread_local std::vector<std::string_view> words;
  thread_local std::deque<std::string> storage;
  thread_local std::vector<AddedVocabulary::Segment> pieces;
  const std::string normalized = normalizer_.apply(text);
  pieces.clear();
  normalized_added_.split(normalized, pieces);
  for (const auto& piece : pieces) {
    if (piece.id >= 0) {
      ids.push_back(piece.id);
      continue;
    }
    words.clear();
    storage.clear();
    pre_tokenizer_.split(piece.text, starts_input && piece.text.data() == normalized.data(), words, storage);
    for (const std::string_view word : words) model_.encode_word(word, ids);
  }
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool add_special) const {
  if (const size_t bad = utf8::find_invalid(text); bad != utf8::kValid) {
    throw InputError("tokenizer " + path_ + ": the text is not valid UTF-8 at byte offset " + std::to_string(bad));
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special) ids.insert(ids.end(), prefix_ids_.begin(), prefix_ids_.end());
  std::vector<AddedVocabulary::Segment> segments;
  added_.split(text, segments);
  for (const auto& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      encode_plain(segment.text, segment.text.data() == text.data(), ids);
    }
  }
  if (add_special) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes;
  std::vector<std::string> tokens;
  for (const int32_t id : ids) {
    if (id < 0) throw InputError("tokenizer " + path_ + ": cannot decode negative id " + std::to_string(id));
    if (id >= vocab_size()) continue;  // no token has it (tokenizer.h)
    if (skip_special && special_[static_cast<size_t>(id)]) continue;
    if (bytes_.empty()) {
      tokens.push_back(spelling_[static_cast<size_t>(id)]);
    } else {
      bytes += bytes_[static_cast<size_t>(id)];
    }
  }
  return bytes_.empty() ? decoder_.decode(std::move(tokens)) : utf8::repair(bytes);
}

std::optional<int32_t> BpeTokenizer::token_to_id(std::string_view token) const {
  if (const auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  if (const auto it = model_.vocab().find(token); it != model_.vocab().end()) return it->second;
  return std::nullopt;
}

std::string BpeTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw InputError("tokenizer " + path_ + ": no token has id " + std::to_string(id));
  }
  return spelling_[static_cast<size_t>(id)];
}

bool BpeTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < vocab_size() && special_[static_cast<size_t>(id)];
}

}  // namespace spct::tokenizer
