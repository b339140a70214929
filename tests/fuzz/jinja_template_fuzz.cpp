// libFuzzer target: the Jinja interpreter on arbitrary template source, rendered over a small conversation with
// tight limits. Any outcome other than text or a TemplateError (a crash, a sanitizer report, a leak, an
// exception of another type, a hang past -timeout) is a bug: chat templates come with downloaded models.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "models/tokenizer/jinja/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json kVariables = nlohmann::ordered_json::parse(R"({
    "messages": [{"role": "system", "content": " sys "}, {"role": "user", "content": "Hi <think>a</think> é"},
                 {"role": "assistant", "content": "ok", "tool_calls": [{"function": {"name": "f", "arguments": {"x": [1, 2.5]}}}]},
                 {"role": "tool", "content": "{}"}],
    "tools": [{"type": "function", "function": {"name": "f"}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  spct::tokenizer::jinja::Limits limits;
  limits.max_steps = 200'000;  // small, so that each input renders in milliseconds
  limits.max_output_bytes = 1 << 20;
  try {
    const auto compiled =
        spct::tokenizer::jinja::Template::parse(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    (void)compiled.render(kVariables);
  } catch (const spct::tokenizer::jinja::TemplateError&) {
    // bad and hostile templates are expected to fail this way
  }
  return 0;
}
