#include "models/tokenizer/normalizer.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <algorithm>

#include "core/error.h"

namespace spct::tokenizer {
namespace {

const UNormalizer2* icu_instance(Normalizer::Form form) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* instance = nullptr;
  switch (form) {
    case Normalizer::Form::kNfc: instance = unorm2_getNFCInstance(&status); break;
    case Normalizer::Form::kNfd: instance = unorm2_getNFDInstance(&status); break;
    case Normalizer::Form::kNfkc: instance = unorm2_getNFKCInstance(&status); break;
    case Normalizer::Form::kNfkd: instance = unorm2_getNFKDInstance(&status); break;
  }
  if (U_FAILURE(status)) throw Error(ExitCode::kFailure, std::string("ICU normalizer: ") + u_errorName(status));
  return instance;
}

void check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) throw Error(ExitCode::kFailure, std::string("ICU ") + what + ": " + u_errorName(status));
}

std::u16string to_utf16(std::string_view text) {
  std::u16string out(text.size(), u'\0');  // UTF-16 never needs more code units than UTF-8 has bytes
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strFromUTF8(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &length, text.data(),
                static_cast<int32_t>(text.size()), &status);
  check(status, "UTF-8 to UTF-16");
  out.resize(static_cast<size_t>(length));
  return out;
}

std::string to_utf8(const std::u16string& text) {
  std::string out(text.size() * 3, '\0');  // each UTF-16 unit becomes at most 3 UTF-8 bytes
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &length, reinterpret_cast<const UChar*>(text.data()),
              static_cast<int32_t>(text.size()), &status);
  check(status, "UTF-16 to UTF-8");
  out.resize(static_cast<size_t>(length));
  return out;
}

std::u16string normalize(const UNormalizer2* normalizer, const std::u16string& text) {
  const auto* src = reinterpret_cast<const UChar*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  UErrorCode status = U_ZERO_ERROR;
  // Most text is already normalized: find the prefix that certainly is, and leave early when that is all.
  const int32_t done = unorm2_spanQuickCheckYes(normalizer, src, length, &status);
  check(status, "normalization check");
  if (done == length) return text;
  // Decompositions can grow the text (NFKD up to 18x for a few characters); ask ICU for the size when short.
  std::u16string out(text.size() * 2 + 16, u'\0');
  int32_t written = unorm2_normalize(normalizer, src, length, reinterpret_cast<UChar*>(out.data()),
                                     static_cast<int32_t>(out.size()), &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    status = U_ZERO_ERROR;
    out.assign(static_cast<size_t>(written), u'\0');
    written = unorm2_normalize(normalizer, src, length, reinterpret_cast<UChar*>(out.data()),
                               static_cast<int32_t>(out.size()), &status);
  }
  check(status, "normalization");
  out.resize(static_cast<size_t>(written));
  return out;
}

}  // namespace

Normalizer::Normalizer(const std::vector<Form>& forms) {
  for (const Form form : forms) steps_.push_back(Step{.kind = Kind::kForm, .form = form, .text = {}, .regex = {}});
}

Normalizer::~Normalizer() = default;

Normalizer Normalizer::from_json(const std::optional<JsonView>& json) {
  Normalizer result;
  if (json) result.add_steps(*json);
  return result;
}

void Normalizer::add_steps(const JsonView& json) {
  const JsonView type_json = json.at("type");
  const std::string& type = type_json.as_string();
  Step step;
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    step.form = type == "NFC" ? Form::kNfc : type == "NFD" ? Form::kNfd : type == "NFKC" ? Form::kNfkc : Form::kNfkd;
  } else if (type == "Prepend") {
    step.kind = Kind::kPrepend;
    step.text = json.at("prepend").as_string();
  } else if (type == "Replace") {
    step.kind = Kind::kReplace;
    step.regex = Regex::from_pattern_json(json.at("pattern"));
    step.text = json.at("content").as_string();
  } else if (type == "Sequence") {
    const JsonView list = json.at("normalizers");
    list.require_array();
    for (size_t i = 0; i < list.size(); ++i) add_steps(list.element(i));
    return;
  } else {
    type_json.fail("unsupported normalizer \"" + type +
                   "\" (supported: NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence)");
  }
  steps_.push_back(std::move(step));
}

std::string Normalizer::apply(std::string_view text) const {
  std::string out(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Kind::kForm:
        // ASCII is invariant under every normal form: skip ICU and the UTF-16 round trip for it.
        if (!std::all_of(out.begin(), out.end(), [](char c) { return (c & 0x80) == 0; })) {
          out = to_utf8(normalize(icu_instance(step.form), to_utf16(out)));
        }
        break;
      case Kind::kPrepend:
        if (!out.empty()) out.insert(0, step.text);
        break;
      case Kind::kReplace: out = step.regex->replace_all(out, step.text); break;
    }
  }
  return out;
}

}  // namespace spct::tokenizer
