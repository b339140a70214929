#include "models/tokenizer/pre_tokenizer.h"

#include "models/tokenizer/metaspace.h"

namespace spct::tokenizer {
namespace {

// The split regex of GPT-2's byte-level pre-tokenizer (ByteLevel with use_regex true).
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace

PreTokenizer::~PreTokenizer() = default;

PreTokenizer PreTokenizer::from_json(const std::optional<JsonView>& json) {
  PreTokenizer result;
  if (json) result.add_steps(*json);
  return result;
}

void PreTokenizer::add_steps(const JsonView& json) {
  const JsonView type_json = json.at("type");
  const std::string& type = type_json.as_string();
  if (type == "Sequence") {
    const JsonView list = json.at("pretokenizers");
    list.require_array();
    for (size_t i = 0; i < list.size(); ++i) add_steps(list.element(i));
    return;
  }
  Step step;
  if (type == "Split") {
    step.regex = Regex::from_pattern_json(json.at("pattern"));
    const JsonView behavior = json.at("behavior");
    const std::string& name = behavior.as_string();
    if (name == "Isolated") {
      step.behavior = Behavior::kIsolated;
    } else if (name == "Removed") {
      step.behavior = Behavior::kRemoved;
    } else if (name == "MergedWithPrevious") {
      step.behavior = Behavior::kMergedWithPrevious;
    } else if (name == "MergedWithNext") {
      step.behavior = Behavior::kMergedWithNext;
    } else {
      behavior.fail("unsupported split behavior \"" + name +
                    "\" (supported: Isolated, Removed, MergedWithPrevious, MergedWithNext)");
    }
    step.invert = json.bool_or("invert", false);
  } else if (type == "ByteLevel") {
    byte_level_ = true;
    if (json.bool_or("add_prefix_space", true)) step.prefix = " ";
    if (json.bool_or("use_regex", true)) {
      step.regex = std::make_unique<Regex>(kGpt2Pattern, false, json.file() + ": " + json.path() + " (GPT-2 regex)");
    }
  } else if (type == "Metaspace") {
    const MetaspaceOptions options = MetaspaceOptions::from_json(json);
    step.space_replacement = options.replacement;
    if (options.prepend != MetaspaceOptions::Prepend::kNever) step.prefix = options.replacement;
    step.prefix_first_only = options.prepend == MetaspaceOptions::Prepend::kFirst;
    if (options.split) {
      step.regex = std::make_unique<Regex>(options.replacement, true, json.file() + ": " + json.path());
      step.behavior = Behavior::kMergedWithNext;
    }
  } else {
    type_json.fail("unsupported pre-tokenizer \"" + type + "\" (supported: Split, ByteLevel, Metaspace, Sequence)");
  }
  steps_.push_back(std::move(step));
}

void PreTokenizer::apply(const Step& step, std::string_view word, bool starts_input, std::vector<std::string_view>& out,
                         std::deque<std::string>& storage) {
  if (!step.space_replacement.empty() && word.find(' ') != std::string_view::npos) {
    std::string replaced;
    for (const char c : word) {
      if (c == ' ') {
        replaced += step.space_replacement;
      } else {
        replaced += c;
      }
    }
    storage.push_back(std::move(replaced));
    word = storage.back();
  }
  if (!step.prefix.empty() && !word.starts_with(step.prefix) && (starts_input || !step.prefix_first_only)) {
    storage.push_back(step.prefix + std::string(word));
    word = storage.back();
  }
  if (!step.regex) {
    out.push_back(word);
    return;
  }
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  matches.clear();
  step.regex->find_all(word, matches);

  // Walk the word as alternating gaps and matches; `delimiter` pieces are the matches (or, inverted, the gaps).
  // As in Hugging Face tokenizers, the merging behaviours glue a delimiter only onto a neighbour that is not
  // itself a delimiter: of two delimiters in a row, the one away from the text stays a word of its own.
  const size_t first_piece = out.size();
  bool previous_delimiter = false;
  bool pending = false;  // kMergedWithNext: a delimiter waits to be glued to the next piece
  size_t pending_begin = 0;
  const auto emit = [&](size_t begin, size_t end, bool delimiter) {
    if (begin == end) return;
    switch (step.behavior) {
      case Behavior::kIsolated: out.push_back(word.substr(begin, end - begin)); break;
      case Behavior::kRemoved:
        if (!delimiter) out.push_back(word.substr(begin, end - begin));
        break;
      case Behavior::kMergedWithPrevious:
        // Pieces are contiguous, so gluing onto the previous piece is widening its view.
        if (delimiter && !previous_delimiter && out.size() > first_piece) {
          out.back() = std::string_view(out.back().data(), out.back().size() + (end - begin));
        } else {
          out.push_back(word.substr(begin, end - begin));
        }
        break;
      case Behavior::kMergedWithNext:
        if (delimiter) {
          if (pending) out.push_back(word.substr(pending_begin, begin - pending_begin));
          pending = true;
          pending_begin = begin;
        } else {
          const size_t from = pending ? pending_begin : begin;
          out.push_back(word.substr(from, end - from));
          pending = false;
        }
        break;
    }
    previous_delimiter = delimiter;
  };
  size_t position = 0;
  for (const auto& [begin, end] : matches) {
    emit(position, begin, step.invert);
    emit(begin, end, !step.invert);
    position = end;
  }
  emit(position, word.size(), step.invert);
  if (pending) out.push_back(word.substr(pending_begin));
}

void PreTokenizer::split(std::string_view text, bool starts_input, std::vector<std::string_view>& words,
                         std::deque<std::string>& storage) const {
  if (steps_.empty()) {
    if (!text.empty()) words.push_back(text);
    return;
  }
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  for (const Step& step : steps_) {
    next.clear();
    // Only the first word of an input-starting text starts the input (a Metaspace "first" prefix goes there).
    for (size_t i = 0; i < current.size(); ++i) apply(step, current[i], starts_input && i == 0, next, storage);
    current.swap(next);
  }
  for (const std::string_view word : current) {
    if (!word.empty()) words.push_back(word);
  }
}

}  // namespace spct::tokenizer
