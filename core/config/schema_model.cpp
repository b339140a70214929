// Fields of the model and tokenizer sections.
#include "core/config/schema_sections.h"

namespace spct::config {

void add_model_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::model, member); };
  b.add_string("path", f(&ModelSection::path),
               "Hugging Face model directory (config.json + safetensors) to start from; empty builds a new model "
               "from the fields below.");
  b.add_string("family", f(&ModelSection::family),
               "Layout of a new model: llama (no biases), qwen2 (QKV bias), qwen3 (q/k RMSNorm).",
               {.choices = {"llama", "qwen2", "qwen3"}});
  b.add_integer("hidden_size", f(&ModelSection::hidden_size), "Width of the residual stream.",
                {.min = 8, .max = 65536});
  b.add_integer("num_layers", f(&ModelSection::num_layers), "Decoder layers.", {.min = 1, .max = 1024});
  b.add_integer("num_heads", f(&ModelSection::num_heads), "Attention (query) heads.", {.min = 1, .max = 1024});
  b.add_integer("num_kv_heads", f(&ModelSection::num_kv_heads),
                "Key/value heads (grouped-query attention); must divide num_heads.", {.min = 1, .max = 1024});
  b.add_integer("intermediate_size", f(&ModelSection::intermediate_size), "Width of the SwiGLU MLP.",
                {.min = 1, .max = 1048576});
  b.add_integer("max_position", f(&ModelSection::max_position), "Longest sequence (prompt + completion) in tokens.",
                {.min = 8, .max = 1048576});
  b.add_number("rope_theta", f(&ModelSection::rope_theta), "Base of the rotary position embedding.",
               {.min = 1, .max = 1e9});
  b.add_number("rms_norm_eps", f(&ModelSection::rms_norm_eps), "Epsilon of RMSNorm.", {.min = 0, .max = 1e-2});
  b.add_bool("tie_embeddings", f(&ModelSection::tie_embeddings), "Share the input embedding with the output head.");
  b.add_string("dtype", f(&ModelSection::dtype),
               "Parameter and compute dtype. auto: model.path's torch_dtype (float32 for a new model); any other "
               "value casts a loaded model at load. Training keeps float32 master weights and AdamW moments "
               "whatever the dtype.",
               {.choices = {"auto", "float32", "bfloat16", "float16"}});
  b.add_string("device", f(&ModelSection::device),
               "Where every model of a rank lives: auto (the rank's GPU from the layout when CUDA is available, else "
               "the CPU), cpu, or cuda (the rank's GPU; an error on a rank that sees none).",
               {.choices = {"auto", "cpu", "cuda"}});
  b.add_integer("logprob_chunk_tokens", f(&ModelSection::logprob_chunk_tokens),
                "Tokens per chunk of the language-model head when scoring completions: the [tokens x vocab] "
                "float32 logits exist for one chunk at a time (recomputed in backward when a batch spans several).",
                {.min = 1, .max = 1e9});
  b.add_bool("activation_checkpointing", f(&ModelSection::activation_checkpointing),
             "Keep only each decoder layer's input for backward and recompute the layer during backward: less "
             "activation memory for about one more forward pass; same gradients.");
}

void add_tokenizer_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::tokenizer, member); };
  b.add_string("kind", f(&TokenizerSection::kind),
               "char: the built-in character tokenizer of the synthetic tasks; hf: a Hugging Face tokenizer.json.",
               {.choices = {"char", "hf"}});
  b.add_string("path", f(&TokenizerSection::path), "tokenizer.json for kind hf (default: the model directory's).");
  b.add_string("chat_template", f(&TokenizerSection::chat_template),
               "How chat-style prompts are rendered: none (plain text), chatml (Qwen), llama3; model: the Jinja "
               "chat_template of the tokenizer's tokenizer_config.json (or chat_template.jinja), as transformers "
               "renders it; auto: the model's template when it has one, else chat_template_fallback.",
               {.choices = {"none", "chatml", "llama3", "model", "auto"}});
  b.add_string("chat_template_fallback", f(&TokenizerSection::chat_template_fallback),
               "The built-in template chat_template auto uses when the model has no template of its own.",
               {.choices = {"none", "chatml", "llama3"}});
}

}  // namespace spct::config
