#include "models/tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "core/error.h"
#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/utf8.h"

namespace spct::tokenizer {
namespace {

// One symbol of a word being merged: a token id and its neighbours in the linked list (-1: none).
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
};

// A candidate merge of the adjacent symbols (left, its next). The ids it was made for are kept so that an
// entry made stale by an earlier merge is recognised and dropped when popped.
struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t left_id;
  int32_t right_id;
  int32_t merged;
  // A min-heap on (rank, position): equal ranks merge leftmost first, as Hugging Face does.
  bool operator>(const Candidate& other) const { return rank != other.rank ? rank > other.rank : left > other.left; }
};

}  // namespace

BpeModel::BpeModel(const JsonView& model, bool byte_level) : byte_level_(byte_level) {
  model.require_object();
  const JsonView type = model.at("type");
  if (type.as_string() != "BPE") type.fail("unsupported model type \"" + type.as_string() + "\" (supported: BPE)");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!model.string_or(affix, "").empty()) model.at(affix).fail("a non-empty subword affix is not supported");
  }
  // BPE dropout makes encoding random (a training-time augmentation); spct encodes deterministically.
  if (const auto dropout = model.find("dropout"); dropout && !(dropout->node().is_number() && dropout->node() == 0)) {
    dropout->fail("BPE dropout is not supported (it makes encoding random): set it to null");
  }
  ignore_merges_ = model.bool_or("ignore_merges", false);
  byte_fallback_ = model.bool_or("byte_fallback", false);
  fuse_unk_ = model.bool_or("fuse_unk", false);

  const JsonView vocab = model.at("vocab");
  vocab.require_object();
  vocab_.reserve(vocab.size());
  for (const auto& [token, id_json] : vocab.node().items()) {
    // The JSON path of an entry is built only to report a bad one: 150k string concatenations cost more than
    // the rest of the loop.
    const bool plain_id =
        id_json.is_number_integer() && id_json.get<int64_t>() >= 0 && id_json.get<int64_t>() <= INT32_MAX;
    const int32_t id = plain_id ? static_cast<int32_t>(id_json.get<int64_t>())
                                : JsonView(id_json, vocab.file(), vocab.path() + "[\"" + token + "\"]").as_id();
    vocab_.emplace(token, id);
    id_limit_ = std::max(id_limit_, id + 1);
  }
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    const auto it = byte_level_ ? vocab_.find(byte_level::spell(byte)) : b < 0x80 ? vocab_.find(byte) : vocab_.end();
    byte_ids_[static_cast<size_t>(b)] = it == vocab_.end() ? -1 : it->second;
  }
  fallback_ids_.fill(-1);
  if (byte_fallback_) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      const auto it = vocab_.find(std::string_view(name));
      if (it == vocab_.end()) {
        model.at("byte_fallback")
            .fail(std::string("byte_fallback needs a token for every byte, and ") + name + " is not in model.vocab");
      }
      fallback_ids_[static_cast<size_t>(b)] = it->second;
    }
  }
  if (ignore_merges_ && byte_level_) {
    bytes_to_id_.reserve(vocab_.size());
    for (const auto& [token, id] : vocab_) {
      if (auto bytes = byte_level::unspell(token)) bytes_to_id_.emplace(std::move(*bytes), id);
    }
  }
  if (const auto unk = model.find("unk_token")) {
    const auto it = vocab_.find(unk->as_string());
    if (it == vocab_.end()) unk->fail("unk_token \"" + unk->as_string() + "\" is not in model.vocab");
    unk_id_ = it->second;
  }
  read_merges(model.at("merges"));
}

void BpeModel::read_merges(const JsonView& merges) {
  merges.require_array();
  merges_.reserve(merges.size());
  // As for the vocabulary, an entry's JsonView (and its path) is made only to report a problem with it.
  const auto id_of = [&](size_t index, std::string_view token) {
    const auto it = vocab_.find(token);
    if (it == vocab_.end())
      merges.element(index).fail("merge part \"" + std::string(token) + "\" is not in model.vocab");
    return it->second;
  };
  std::string merged;
  for (size_t i = 0; i < merges.size(); ++i) {
    const nlohmann::json& entry = merges.node()[i];
    std::string_view left, right;
    if (entry.is_string()) {
      const std::string& line = entry.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        merges.element(i).fail("expected a merge \"left right\" (two tokens separated by one space), found \"" + line +
                               "\"");
      }
      left = std::string_view(line).substr(0, space);
      right = std::string_view(line).substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2) {
      if (!entry[0].is_string()) merges.element(i).element(0).as_string();  // throws, naming the element
      if (!entry[1].is_string()) merges.element(i).element(1).as_string();
      left = entry[0].get_ref<const std::string&>();
      right = entry[1].get_ref<const std::string&>();
    } else if (entry.is_array()) {
      merges.element(i).fail("expected a merge [\"left\", \"right\"], found " + std::to_string(entry.size()) +
                             " elements");
    } else {
      merges.element(i).fail(std::string("expected a merge as a string or a two-element array, found ") +
                             entry.type_name());
    }
    merged.assign(left).append(right);
    const int32_t left_id = id_of(i, left), right_id = id_of(i, right);
    const auto it = vocab_.find(merged);
    if (it == vocab_.end()) merges.element(i).fail("the merged token \"" + merged + "\" is not in model.vocab");
    // A pair listed twice keeps its later rank, as Hugging Face's merge map does.
    merges_.insert_or_assign(pair_key(left_id, right_id), Merge{static_cast<int32_t>(i), it->second});
  }
}

void BpeModel::initial_ids(std::string_view word, std::vector<int32_t>& ids) const {
  if (byte_level_) {
    for (size_t i = 0; i < word.size(); ++i) {
      const auto byte = static_cast<uint8_t>(word[i]);
      int32_t id = byte_ids_[byte];
      if (id < 0) {
        if (!unk_id_) {
          throw InputError("tokenizer: byte " + std::to_string(byte) +
                           " has no token in the vocabulary and the model has no unk_token");
        }
        id = *unk_id_;
      }
      ids.push_back(id);
    }
    return;
  }
  bool previous_unknown = false;
  for (size_t pos = 0; pos < word.size();) {
    const size_t begin = pos;
    const char32_t code_point = utf8::next(word, pos);
    const std::string_view character = word.substr(begin, pos - begin);
    int32_t id = pos - begin == 1 ? byte_ids_[static_cast<uint8_t>(character[0])] : -1;
    if (id < 0 && pos - begin > 1) {
      if (const auto it = vocab_.find(character); it != vocab_.end()) id = it->second;
    }
    if (id >= 0) {
      ids.push_back(id);
      previous_unknown = false;
    } else if (byte_fallback_) {
      for (const char byte : character) ids.push_back(fallback_ids_[static_cast<uint8_t>(byte)]);
      previous_unknown = false;
    } else if (unk_id_) {
      if (!(fuse_unk_ && previous_unknown)) ids.push_back(*unk_id_);
      previous_unknown = true;
    } else {
      char name[16];
      std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(code_point));
      throw InputError(std::string("tokenizer: character ") + name +
                       " has no token in the vocabulary and the model has neither byte_fallback nor an unk_token");
    }
  }
}

void BpeModel::merge(const std::vector<int32_t>& ids, std::vector<int32_t>& out) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.clear();
  heap.clear();
  const auto n = static_cast<int32_t>(ids.size());
  for (int32_t i = 0; i < n; ++i) symbols.push_back(Symbol{ids[static_cast<size_t>(i)], i - 1, i + 1 < n ? i + 1 : -1});
  const auto push_candidate = [&](int32_t left) {
    const int32_t right = symbols[static_cast<size_t>(left)].next;
    if (right < 0) return;
    const int32_t left_id = symbols[static_cast<size_t>(left)].id, right_id = symbols[static_cast<size_t>(right)].id;
    const auto it = merges_.find(pair_key(left_id, right_id));
    if (it == merges_.end()) return;
    heap.push_back(Candidate{it->second.rank, left, left_id, right_id, it->second.merged});
    std::push_heap(heap.begin(), heap.end(), std::greater<>{});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_candidate(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    const Candidate best = heap.back();
    heap.pop_back();
    Symbol& left = symbols[static_cast<size_t>(best.left)];
    if (left.id < 0 || left.next < 0) continue;  // the left symbol was absorbed, or is now the last one
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    // An entry made stale by an earlier merge still applies when the pair now there merges into the same
    // token: Hugging Face checks only that, at the entry's own rank, and so must spct to give its ids.
    if (left.id != best.left_id || right.id != best.right_id) {
      const auto it = merges_.find(pair_key(left.id, right.id));
      if (it == merges_.end() || it->second.merged != best.merged) continue;
    }
    left.id = best.merged;
    right.id = -1;  // absorbed: never matches a candidate's ids again
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = best.left;
    if (left.prev >= 0) push_candidate(left.prev);
    push_candidate(best.left);
  }
  for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next)
    out.push_back(symbols[static_cast<size_t>(i)].id);
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() == 1 && byte_ids_[static_cast<uint8_t>(word[0])] >= 0) {
    out.push_back(byte_ids_[static_cast<uint8_t>(word[0])]);
    return;
  }
  // The cache comes first even for ignore_merges: it is small and hot, while a lookup in the 100k-entry
  // vocabulary misses the CPU caches.
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    const auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  // Models trained with ignore_merges (Llama 3) take a word that is itself a token whole, even when the
  // merges would have split it differently.
  const StringIdMap& whole_words = byte_level_ ? bytes_to_id_ : vocab_;
  const auto whole = ignore_merges_ ? whole_words.find(word) : whole_words.end();
  if (whole != whole_words.end()) {
    out.push_back(whole->second);
  } else {
    thread_local std::vector<int32_t> ids;
    ids.clear();
    initial_ids(word, ids);
    if (!ids.empty()) merge(ids, out);
  }
  if (cacheable) {
    std::vector<int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedWords) cache_.clear();
    cache_.emplace(std::string(word), std::move(ids));
  }
}

size_t BpeModel::cache_size() const {
  std::shared_lock lock(cache_mutex_);
  return cache_.size();
}

}  // namespace spct::tokenizer
