#include "models/tokenizer/bpe_model.h"

#include <algorithm>
#include <mutex>

#include "core/error.h"
#include "models/tokenizer/byte_level.h"

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

BpeModel::BpeModel(const JsonView& model) {
  model.require_object();
  const JsonView type = model.at("type");
  if (type.as_string() != "BPE") type.fail("unsupported model type \"" + type.as_string() + "\" (supported: BPE)");
  if (model.bool_or("byte_fallback", false)) model.at("byte_fallback").fail("byte_fallback BPE is not supported");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!model.string_or(affix, "").empty()) model.at(affix).fail("a non-empty subword affix is not supported");
  }
  ignore_merges_ = model.bool_or("ignore_merges", false);

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
    const auto it = vocab_.find(byte_level::spell(std::string(1, static_cast<char>(b))));
    byte_ids_[static_cast<size_t>(b)] = it == vocab_.end() ? -1 : it->second;
  }
  if (ignore_merges_) {
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
    merges_.emplace(pair_key(left_id, right_id), Merge{static_cast<int32_t>(i), it->second});
  }
}

void BpeModel::merge(std::string_view word, std::vector<int32_t>& out) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.clear();
  heap.clear();
  const auto n = static_cast<int32_t>(word.size());
  for (int32_t i = 0; i < n; ++i) {
    const auto byte = static_cast<uint8_t>(word[static_cast<size_t>(i)]);
    int32_t id = byte_ids_[byte];
    if (id < 0) {
      if (!unk_id_) {
        throw InputError("tokenizer: byte " + std::to_string(byte) +
                         " has no token in the vocabulary and the model has no unk_token");
      }
      id = *unk_id_;
    }
    symbols.push_back(Symbol{id, i - 1, i + 1 < n ? i + 1 : -1});
  }
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
    if (left.id != best.left_id || left.next < 0) continue;  // the left symbol changed or was absorbed
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    if (right.id != best.right_id) continue;  // the right neighbour changed since this entry was made
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
  const auto whole = ignore_merges_ ? bytes_to_id_.find(word) : bytes_to_id_.end();
  if (whole != bytes_to_id_.end()) {
    out.push_back(whole->second);
  } else {
    merge(word, out);
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
