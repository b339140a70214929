#include "models/tokenizer/decoder.h"

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/metaspace.h"
#include "models/tokenizer/utf8.h"

namespace spct::tokenizer {
namespace {

// The byte a "<0xNN>" byte-fallback token stands for, or -1 for any other token.
int fallback_byte(const std::string& token) {
  if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>') return -1;
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int high = hex(token[3]), low = hex(token[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// The characters of `text` (valid UTF-8), each as its UTF-8 bytes.
std::vector<std::string_view> characters(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t pos = 0; pos < text.size();) {
    const size_t begin = pos;
    utf8::next(text, pos);
    out.push_back(text.substr(begin, pos - begin));
  }
  return out;
}

}  // namespace

Decoder::~Decoder() = default;

Decoder Decoder::from_json(const std::optional<JsonView>& json) {
  Decoder result;
  if (json) {
    result.present_ = true;
    result.add_steps(*json);
  }
  return result;
}

void Decoder::add_steps(const JsonView& json) {
  const JsonView type_json = json.at("type");
  const std::string& type = type_json.as_string();
  Step step;
  if (type == "Sequence") {
    const JsonView list = json.at("decoders");
    list.require_array();
    for (size_t i = 0; i < list.size(); ++i) add_steps(list.element(i));
    return;
  }
  if (type == "ByteLevel") {
    step.kind = Kind::kByteLevel;
  } else if (type == "ByteFallback") {
    step.kind = Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = Kind::kFuse;
  } else if (type == "Metaspace") {
    const MetaspaceOptions options = MetaspaceOptions::from_json(json);
    step.kind = Kind::kMetaspace;
    step.text = options.replacement;
    step.drop_in_first = options.prepend != MetaspaceOptions::Prepend::kNever;
  } else if (type == "Replace") {
    step.kind = Kind::kReplace;
    step.regex = Regex::from_pattern_json(json.at("pattern"));
    step.text = json.at("content").as_string();
  } else if (type == "Strip") {
    step.kind = Kind::kStrip;
    const JsonView content = json.at("content");
    step.text = content.as_string();
    if (utf8::find_invalid(step.text) != utf8::kValid || characters(step.text).size() != 1) {
      content.fail("expected one character, found \"" + step.text + "\"");
    }
    const auto count = [&](const char* key) {
      const JsonView value = json.at(key);
      const int64_t n = value.as_int();
      if (n < 0) value.fail("expected a count of characters, found " + std::to_string(n));
      return static_cast<size_t>(n);
    };
    step.start = count("start");
    step.stop = count("stop");
  } else {
    type_json.fail("unsupported decoder \"" + type +
                   "\" (supported: ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse, Sequence)");
  }
  steps_.push_back(std::move(step));
}

void Decoder::apply(const Step& step, std::vector<std::string>& tokens) {
  switch (step.kind) {
    case Kind::kByteLevel: {
      std::string bytes;
      for (const std::string& token : tokens) {
        if (auto spelled = byte_level::unspell(token)) {
          bytes += *spelled;
        } else {
          bytes += token;
        }
      }
      tokens.assign(1, utf8::repair(bytes));
      break;
    }
    case Kind::kByteFallback: {
      std::vector<std::string> out;
      std::string run;  // the bytes of the current run of byte tokens
      size_t run_tokens = 0;
      const auto flush = [&] {
        if (run_tokens == 0) return;
        if (utf8::find_invalid(run) == utf8::kValid) {
          out.push_back(run);
        } else {
          out.insert(out.end(), run_tokens, "\xEF\xBF\xBD");  // one U+FFFD per byte token
        }
        run.clear();
        run_tokens = 0;
      };
      for (std::string& token : tokens) {
        if (const int byte = fallback_byte(token); byte >= 0) {
          run += static_cast<char>(byte);
          ++run_tokens;
        } else {
          flush();
          out.push_back(std::move(token));
        }
      }
      flush();
      tokens = std::move(out);
      break;
    }
    case Kind::kMetaspace:
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].find(step.text) == std::string::npos) continue;
        std::string out;
        for (const std::string_view c : characters(tokens[i])) {
          if (c != step.text) {
            out += c;
          } else if (i > 0 || !step.drop_in_first) {
            out += ' ';
          }
        }
        tokens[i] = std::move(out);
      }
      break;
    case Kind::kReplace:
      for (std::string& token : tokens) token = step.regex->replace_all(token, step.text);
      break;
    case Kind::kStrip:
      // Only the ends of each token are looked at: a fused token is the whole text.
      for (std::string& token : tokens) {
        const std::string_view c = step.text;
        size_t begin = 0, end = token.size();
        for (size_t n = 0; n < step.start && std::string_view(token).substr(begin).starts_with(c); ++n) {
          begin += c.size();
        }
        for (size_t n = 0; n < step.stop && end - begin >= c.size() &&
                           std::string_view(token).substr(begin, end - begin).ends_with(c);
             ++n) {
          end -= c.size();
        }
        token = token.substr(begin, end - begin);
      }
      break;
    case Kind::kFuse: {
      std::string joined;
      for (const std::string& token : tokens) joined += token;
      tokens.clear();
      tokens.push_back(std::move(joined));
      break;
    }
  }
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string text;
  if (!present_) {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
    return text;
  }
  for (const Step& step : steps_) apply(step, tokens);
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace spct::tokenizer
