// The tokenizer references of the tests: Hugging Face's own `tokenizers` from PyPI, run through SPCT_PYTHON by
// tests/reference/tokenize_reference.py, and, as a cross-check of that reference, the offline node tokenizer
// in ../shared/oracle (encode.mjs, @lenml/tokenizers). Both read the real tokenizer files in
// SPCT_SHARED_DIR/data/tokenizers/<name>/ (tokenizer.json and tokenizer_config.json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spct::testing {

// The directory SPCT_SHARED_DIR/data/tokenizers/<name>. Throws std::runtime_error saying what is missing
// and how to point the build at the shared data (-DSPCT_SHARED_DIR=...) when it has no tokenizer.json.
std::string shared_tokenizer_dir(const std::string& name);

// The answer of tokenize_reference.py for some texts, one entry per text.
struct ReferenceAnswer {
  std::string tokenizers_version;
  std::vector<std::vector<int32_t>> ids;          // encode(text, add_special_tokens=False)
  std::vector<std::vector<int32_t>> ids_special;  // encode(text, add_special_tokens=True)
  std::vector<std::string> decoded;               // decode(ids, skip_special_tokens=False)
  std::vector<std::string> decoded_skip;          // decode(ids, skip_special_tokens=True)
};

// Runs the Python reference on `tokenizer_json`. Throws std::runtime_error with the script's stderr when it
// fails, or when it runs past `deadline_s` seconds (it is killed then).
ReferenceAnswer run_reference(const std::string& tokenizer_json, const std::vector<std::string>& texts, int deadline_s);

// True when node and SPCT_SHARED_DIR/oracle/encode.mjs are there.
bool node_reference_available();

// The ids node's encode.mjs gives for `text` (no added special tokens). Throws std::runtime_error as
// run_reference does.
std::vector<int32_t> run_node_reference(const std::string& tokenizer_dir, const std::string& text, int deadline_s);

}  // namespace spct::testing
