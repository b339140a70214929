// Fields of the model and tokenizer sections.
#include "core/config/schema_sections.h"

namespace spct::config {
namespace {

// An Accessor for config.model.<group>.<member>: the fields of a nested group such as model.lora.
template <class Group, class T>
Accessor<T> bind_group(Group ModelSection::*group, T Group::*member) {
  return {[group, member](Config& config) -> T& { return (config.model.*group).*member; },
          [group, member](const Config& config) -> const T& { return (config.model.*group).*member; }};
}

}  // namespace

void add_model_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::model, member); };
  const auto g = [](auto group, auto member) { return bind_group(group, member); };
  b.add_string("path", f(&ModelSection::path),
               "Hugging Face model directory (config.json + safetensors) to start from; empty builds a new model "
               "from the fields below.");
  b.add_choice("family", f(&ModelSection::family),
               "Layout of a new model: llama (no biases), qwen2 (QKV bias), qwen3 (q/k RMSNorm).");
  b.add_integer("hidden_size", f(&ModelSection::hidden_size), "Width of the residual stream.",
                {.min = 8, .max = 65536});
  b.add_integer("num_layers", f(&ModelSection::num_layers), "Decoder layers.", {.min = 1, .max = 1024});
  b.add_integer("num_heads", f(&ModelSection::num_heads), "Attention (query) heads.", {.min = 1, .max = 1024});
  b.add_integer("num_kv_heads", f(&ModelSection::num_kv_heads),
                "Key/value heads (grouped-query attention); must divide num_heads.", {.min = 1, .max = 1024});
  b.add_integer("intermediate_size", f(&ModelSection::intermediate_size), "Width of the SwiGLU MLP.",
                {.min = 1, .max = 1048576});
  b.add_integer(
      "max_position", f(&ModelSection::max_position),
      "Longest sequence (prompt + completion) in tokens of a new model; a model.path model has its config.json's "
      "max_position_embeddings.",
      {.min = 8, .max = 1048576});
  b.add_number("rope_theta", f(&ModelSection::rope_theta), "Base of the rotary position embedding.",
               {.min = 1, .max = 1e9});
  b.add_number("rms_norm_eps", f(&ModelSection::rms_norm_eps), "Epsilon of RMSNorm.", {.min = 0, .max = 1e-2});
  b.add_bool("tie_embeddings", f(&ModelSection::tie_embeddings), "Share the input embedding with the output head.");
  b.add_choice("dtype", f(&ModelSection::dtype),
               "Parameter and compute dtype. auto: model.path's torch_dtype (float32 for a new model); any other "
               "value casts a loaded model at load. Training keeps float32 master weights and AdamW moments "
               "whatever the dtype.");
  b.add_choice("device", f(&ModelSection::device),
               "Where every model of a rank lives: auto (the rank's GPU from the layout when CUDA is available, else "
               "the CPU), cpu, or cuda (the rank's GPU; an error on a rank that sees none).");
  b.add_integer("logprob_chunk_tokens", f(&ModelSection::logprob_chunk_tokens),
                "Tokens per chunk of the language-model head when scoring completions: the [tokens x vocab] "
                "float32 logits exist for one chunk at a time (recomputed in backward when a batch spans several).",
                {.min = 1, .max = 1e9});
  b.add_bool("activation_checkpointing", f(&ModelSection::activation_checkpointing),
             "Keep only each decoder layer's input for backward and recompute the layer during backward: less "
             "activation memory for about one more forward pass; same gradients.");
  b.add_integer("lora.rank", g(&ModelSection::lora, &LoraSection::rank),
                "LoRA adapter rank r (docs/lora.md); 0 trains the full model. With r > 0 the base weights are frozen, "
                "only the adapters train, sync to the rollout ranks and are checkpointed (with their AdamW state).",
                {.min = 0, .max = 65536});
  b.add_number("lora.alpha", g(&ModelSection::lora, &LoraSection::alpha),
               "LoRA scale numerator: adapters add (alpha / rank) * B A x, as PEFT's lora_alpha.",
               {.min = 1e-9, .max = 1e9});
  b.add_number("lora.dropout", g(&ModelSection::lora, &LoraSection::dropout),
               "Dropout on each adapter's input in training passes (PEFT's lora_dropout); scoring and sampling see "
               "no dropout.",
               {.min = 0, .max = 0.99});
  b.add_string_list("lora.target_modules", g(&ModelSection::lora, &LoraSection::target_modules),
                    "Projections that get an adapter, as PEFT's target_modules: a name matches every module whose "
                    "path ends in it (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head).");
  b.add_number("moe.aux_loss_coef", g(&ModelSection::moe, &MoeSection::aux_loss_coef),
               "Weight of the router load-balancing loss added to the GRPO loss of a mixture-of-experts policy "
               "(Qwen3-MoE). -1: the model's config.json router_aux_loss_coef (0.001 when it has none); 0 disables it "
               "(docs/lora.md).",
               {.min = -1, .max = 100});
}

void add_tokenizer_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::tokenizer, member); };
  b.add_choice("kind", f(&TokenizerSection::kind),
               "char: the built-in character tokenizer of the synthetic tasks; hf: a Hugging Face tokenizer.json.");
  b.add_string("path", f(&TokenizerSection::path), "tokenizer.json for kind hf (default: the model directory's).");
  b.add_choice("chat_template", f(&TokenizerSection::chat_template),
               "How chat-style prompts are rendered: none (plain text), chatml (Qwen), llama3; model: the Jinja "
               "chat_template of the tokenizer's tokenizer_config.json (or chat_template.jinja), as transformers "
               "renders it; auto: the model's template when it has one, else chat_template_fallback.");
  b.add_choice("chat_template_fallback", f(&TokenizerSection::chat_template_fallback),
               "The built-in template chat_template auto uses when the model has no template of its own.");
}

}  // namespace spct::config
