#include "orchestrator/data/prompt_stream.h"

#include <numeric>
#include <stdexcept>
#include <utility>

#include "core/error.h"
#include "orchestrator/data/deterministic_random.h"

namespace spct::data {

namespace {

constexpr uint64_t kShuffleSalt = 0x73687566666c65ULL;  // "shuffle"

// The field `key` of a saved state, checked for type.
const nlohmann::json& field(const nlohmann::json& state, const char* key, nlohmann::json::value_t type) {
  if (!state.is_object())
    throw InputError("prompt stream state must be a JSON object, not " + std::string(state.type_name()));
  const auto it = state.find(key);
  if (it == state.end()) throw InputError(std::string("prompt stream state: missing \"") + key + "\"");
  // Counters must be non-negative integers; a JSON value built in code may hold them as signed.
  const bool ok = type == nlohmann::json::value_t::number_unsigned
                      ? it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0)
                      : it->type() == type;
  if (!ok) {
    const std::string expected = type == nlohmann::json::value_t::number_unsigned ? "a non-negative integer"
                                 : type == nlohmann::json::value_t::boolean       ? "true or false"
                                                                                  : "a string";
    throw InputError(std::string("prompt stream state: \"") + key + "\" must be " + expected + ", not " + it->dump());
  }
  return *it;
}

}  // namespace

PromptStream::PromptStream(std::shared_ptr<const PromptSource> source, uint64_t seed, bool shuffle)
    : source_(std::move(source)), seed_(seed), shuffle_(shuffle) {
  if (!source_ || source_->size() == 0) throw std::invalid_argument("PromptStream needs a non-empty prompt source");
}

uint64_t PromptStream::current_index() {
  const uint64_t size = source_->size();
  if (size == kUnbounded || !shuffle_) return cursor_.position;
  if (!order_valid_ || order_epoch_ != cursor_.epoch) {
    // Fisher-Yates from the back, with a generator keyed by (seed, epoch): any epoch can be rebuilt alone.
    order_.resize(size);
    std::iota(order_.begin(), order_.end(), uint64_t{0});
    SplitMix64 rng(mix_keys(seed_, kShuffleSalt, cursor_.epoch));
    for (uint64_t i = size - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
    order_epoch_ = cursor_.epoch;
    order_valid_ = true;
  }
  return order_[cursor_.position];
}

PromptItem PromptStream::next() {
  PromptItem item = source_->at(current_index());
  if (++cursor_.position == source_->size()) {
    ++cursor_.epoch;
    cursor_.position = 0;
  }
  return item;
}

std::vector<PromptItem> PromptStream::next_batch(uint64_t count) {
  std::vector<PromptItem> batch;
  batch.reserve(count);
  for (uint64_t i = 0; i < count; ++i) batch.push_back(next());
  return batch;
}

nlohmann::json PromptStream::save() const {
  return {{"epoch", cursor_.epoch},
          {"position", cursor_.position},
          {"seed", seed_},
          {"shuffle", shuffle_},
          {"dataset", source_->fingerprint()}};
}

void PromptStream::restore(const nlohmann::json& state) {
  using Type = nlohmann::json::value_t;
  const std::string dataset = field(state, "dataset", Type::string).get<std::string>();
  if (dataset != source_->fingerprint()) {
    throw InputError("prompt stream state was saved for dataset \"" + dataset + "\" but this run reads \"" +
                     source_->fingerprint() + "\"");
  }
  const uint64_t seed = field(state, "seed", Type::number_unsigned).get<uint64_t>();
  if (seed != seed_) {
    throw InputError("prompt stream state was saved with run.seed " + std::to_string(seed) + " but this run has " +
                     std::to_string(seed_));
  }
  const bool shuffle = field(state, "shuffle", Type::boolean).get<bool>();
  if (shuffle != shuffle_) {
    throw InputError(std::string("prompt stream state was saved with data.shuffle ") + (shuffle ? "true" : "false") +
                     " but this run has " + (shuffle_ ? "true" : "false"));
  }
  const StreamCursor cursor{field(state, "epoch", Type::number_unsigned).get<uint64_t>(),
                            field(state, "position", Type::number_unsigned).get<uint64_t>()};
  if (source_->size() != kUnbounded && cursor.position >= source_->size()) {
    throw InputError("prompt stream state: position " + std::to_string(cursor.position) + " is past the end of " +
                     std::to_string(source_->size()) + " prompts");
  }
  if (source_->size() == kUnbounded && cursor.epoch != 0) {
    throw InputError("prompt stream state: epoch " + std::to_string(cursor.epoch) + " of an endless task (must be 0)");
  }
  cursor_ = cursor;
}

}  // namespace spct::data
