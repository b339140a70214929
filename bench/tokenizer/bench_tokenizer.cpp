// Tokenizer throughput: encodes a few MB of mixed text (English prose, code, numbers, CJK, Cyrillic, emoji,
// whitespace runs, chat markup) with real tokenizer.json files, and prints load time, encode MB/s and tokens/s
// (cold: empty BPE cache; warm: the same text again), and decode MB/s, all on one thread.
//
// Usage: spct_bench_tokenizer [--write-corpus FILE] [MB] [tokenizer.json ...]
//   default: 4 MB, the five shared tokenizers (SPCT_SHARED_DIR/data/tokenizers: qwen3, llama3, deepseek_v3,
//   llama2, gemma3). --write-corpus also writes the documents as a JSON list of strings, for
//   bench/tokenizer/bench_reference.py to time Hugging Face tokenizers on the same text.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "models/tokenizer/bpe_tokenizer.h"
#include "models/tokenizer/utf8.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this thread has used: on a shared machine the wall clock also counts time spent waiting for a
// core, so the figures below are per CPU second (the wall-clock rate is printed beside them).
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Documents of about 1 KB each, drawn from fragments of every kind the pre-tokenizer regexes tell apart. Word
// choice follows a Zipf-like law (word i with weight 1/(i+1)) so the cache sees natural repetition.
std::vector<std::string> make_documents(size_t total_bytes) {
  const std::vector<std::string> words = {"the",       "of",          "and",          "to",
                                          "a",         "in",          "is",           "that",
                                          "for",       "it",          "as",           "was",
                                          "with",      "be",          "by",           "on",
                                          "not",       "he",          "this",         "are",
                                          "or",        "his",         "from",         "at",
                                          "which",     "but",         "have",         "an",
                                          "had",       "they",        "you",          "were",
                                          "their",     "one",         "all",          "we",
                                          "can",       "her",         "has",          "there",
                                          "been",      "if",          "more",         "when",
                                          "will",      "would",       "who",          "so",
                                          "no",        "reward",      "policy",       "gradient",
                                          "advantage", "critique",    "principle",    "tokenizer",
                                          "sequence",  "distributed", "optimization", "reinforcement",
                                          "learning",  "Transformer", "attention",    "International",
                                          "don't",     "it's",        "we'll",        "they've",
                                          "I'm",       "café",        "naïve",        "Straße"};
  const std::vector<std::string> fragments = {"\n",
                                              "\n\n",
                                              ". ",
                                              ", ",
                                              "; ",
                                              "? ",
                                              "! ",
                                              "    ",
                                              "\t",
                                              "\r\n",
                                              " (",
                                              ") ",
                                              "\"",
                                              "'",
                                              "def solve(x):\n    return x * (x + 1) // 2\n",
                                              "for (int i = 0; i < n; ++i) { total += values[i]; }\n",
                                              "{\"step\": 12, \"reward\": 0.75, \"kl\": 0.0031}",
                                              "\u4eba\u5de5\u667a\u80fd\u6b63\u5728\u6539\u53d8\u4e16\u754c\u3002",
                                              "\u5f3a\u5316\u5b66\u4e60\u7684\u5956\u52b1",
                                              "\u3053\u308c\u306f\u30c6\u30b9\u30c8\u3067\u3059\u3002",
                                              "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! ",
                                              "\U0001F600 ",
                                              "\U0001F44D\U0001F3FD ",
                                              "<|im_start|>user\n",
                                              "<|im_end|>\n"};
  // Made-up words from syllables give the long tail of rare words that real text has (and the BPE cache misses).
  const std::vector<std::string> syllables = {"ka", "lo", "mi", "tra",  "ven",  "sto", "pli", "qua", "rex", "dor",
                                              "ex", "un", "ia", "tion", "ment", "ly",  "ous", "ph",  "zy",  "ck"};
  std::uniform_int_distribution<size_t> syllable(0, syllables.size() - 1);
  std::uniform_int_distribution<int> syllable_count(2, 5);
  std::mt19937 rng(7);
  std::vector<double> weights;
  for (size_t i = 0; i < words.size(); ++i) weights.push_back(1.0 / static_cast<double>(i + 1));
  std::discrete_distribution<size_t> word(weights.begin(), weights.end());
  std::uniform_int_distribution<size_t> fragment(0, fragments.size() - 1);
  std::uniform_int_distribution<int> kind(0, 99);
  std::uniform_int_distribution<long long> number(0, 99999999);
  std::vector<std::string> documents;
  size_t bytes = 0;
  while (bytes < total_bytes) {
    std::string doc;
    while (doc.size() < 1024) {
      const int k = kind(rng);
      if (k < 65) {
        doc += " " + words[word(rng)];
      } else if (k < 75) {
        doc += ' ';
        for (int n = syllable_count(rng); n > 0; --n) doc += syllables[syllable(rng)];
      } else if (k < 83) {
        doc += " " + std::to_string(number(rng));
      } else {
        doc += fragments[fragment(rng)];
      }
    }
    bytes += doc.size();
    documents.push_back(std::move(doc));
  }
  return documents;
}

void bench(const std::string& path, const std::vector<std::string>& documents, size_t bytes) {
  auto start = Clock::now();
  const auto tokenizer = spct::tokenizer::BpeTokenizer::load(path);
  const double load_s = seconds_since(start);
  std::printf("%s\n  load: %.2f s (vocab %d)\n", path.c_str(), load_s, tokenizer->vocab_size());

  std::vector<std::vector<int32_t>> encoded(documents.size());
  for (const char* pass : {"cold", "warm"}) {
    size_t tokens = 0;
    start = Clock::now();
    const double cpu_start = thread_cpu_seconds();
    for (size_t i = 0; i < documents.size(); ++i) {
      encoded[i] = tokenizer->encode(documents[i]);
      tokens += encoded[i].size();
    }
    const double cpu = thread_cpu_seconds() - cpu_start, wall = seconds_since(start);
    std::printf(
        "  encode %s: %.1f MB/s, %.2f M tokens/s per CPU second (wall clock: %.1f MB/s); %zu tokens, %.2f "
        "bytes/token, %zu cached words\n",
        pass, static_cast<double>(bytes) / 1e6 / cpu, static_cast<double>(tokens) / 1e6 / cpu,
        static_cast<double>(bytes) / 1e6 / wall, tokens, static_cast<double>(bytes) / static_cast<double>(tokens),
        tokenizer->cached_words());
  }
  const double cpu_start = thread_cpu_seconds();
  size_t decoded = 0, mismatched = 0;
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string text = tokenizer->decode(encoded[i]);
    decoded += text.size();
    // Qwen normalizes to NFC; the generated text is already NFC, so every document must come back intact (the
    // SentencePiece decoders drop the "▁" their normalizers prepend, so Llama 2's documents do too).
    if (text != documents[i]) ++mismatched;
  }
  const double cpu = thread_cpu_seconds() - cpu_start;
  std::printf("  decode: %.1f MB/s per CPU second; round trip mismatches: %zu\n",
              static_cast<double>(decoded) / 1e6 / cpu, mismatched);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string corpus_out;
  if (args.size() >= 2 && args[0] == "--write-corpus") {
    corpus_out = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  const double megabytes = args.empty() ? 4.0 : std::stod(args[0]);
  std::vector<std::string> paths;
  for (size_t i = 1; i < args.size(); ++i) paths.push_back(args[i]);
  if (paths.empty()) {
    for (const char* model : {"qwen3", "llama3", "deepseek_v3", "llama2", "gemma3"}) {
      paths.push_back(std::string(SPCT_SHARED_DIR) + "/data/tokenizers/" + model + "/tokenizer.json");
    }
  }
  const auto documents = make_documents(static_cast<size_t>(megabytes * 1e6));
  if (!corpus_out.empty()) std::ofstream(corpus_out, std::ios::binary) << nlohmann::json(documents).dump();
  size_t bytes = 0;
  for (const auto& doc : documents) bytes += doc.size();
  std::printf("corpus: %zu documents, %.2f MB of mixed text\n", documents.size(), static_cast<double>(bytes) / 1e6);
  try {
    for (const auto& path : paths) bench(path, documents, bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spct_bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
