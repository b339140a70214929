#!/usr/bin/env python3
"""The model reference of the tests: Hugging Face `transformers` itself (PyPI, python/requirements-test.txt).

Two commands, each answering one JSON object on stdout:

  make OUT_DIR
      Builds one random tiny model per case below with transformers (configs written here, weights from
      torch.manual_seed: nothing comes from a hub), saves each with save_pretrained into OUT_DIR/<case>/ (fp32
      or bf16 safetensors) and answers what transformers computes on the model from_pretrained loads back
      from those files (what a user runs: a model cast in memory with .to(bfloat16) would also round its rotary
      inverse frequencies to bf16, which a loaded checkpoint does not):
        {"transformers_version": "...", "torch_version": "...",
         "cases": [{"name", "dir", "family", "dtype",
                    "prompts": [[ids]], "completions": [[ids]],
                    "logprobs": [[float]]     log p(completion token | prompt, earlier completion tokens), each
                                              row run alone (no padding), log_softmax in float32 of the logits
                    "greedy": [[ids]]         model.generate(prompt, do_sample=False), each prompt alone,
                                              no stop token, max_new_tokens each
                    "greedy_logprobs": [[float]]  the model's log-prob of each greedy token
                    "greedy_margins": [[float]]   each greedy step's top-1 minus top-2 logit gap: where it is
                                                  within rounding, either token is a correct greedy choice
                   }]}

  logits          (request on stdin: {"dirs": ["..."], "input_ids": [[ids]]}, rows of equal length)
      Loads each directory with from_pretrained (an spct export), computing in float32 whatever the stored
      dtype (bf16 weights widen exactly, so the comparison is free of bf16 arithmetic noise), and answers
        {"logits": [ [B][T][V] per dir ], "dtypes": [config.json's dtype per dir, "float32"|"bfloat16"]}

  grads           (request on stdin: {"dirs": ["..."], "input_ids": [ids]}, one row)
      Loads each directory in float32 and answers the gradient of the row's teacher-forced log-likelihood,
      sum over t of log p(ids[t + 1] | ids[..t]), with respect to every parameter (tied ones once):
        {"loss": [float per dir], "grads": [{"<name>": [flattened values]} per dir]}

  gemma2-with-tokenizer OUT_DIR TOKENIZER_DIR   (request on stdin: {"prompt": "...", "max_new_tokens": N})
      A random tiny Gemma 2 (Gemma's default soft caps, window 4) whose vocab_size is the length of the
      tokenizer in TOKENIZER_DIR (tokenizer.json + tokenizer_config.json, copied next to the weights), saved
      into OUT_DIR in fp32; answers what AutoTokenizer and model.generate do with the prompt, stopping at the
      tokenizer's eos token as `spct generate` does:
        {"vocab_size", "prompt_ids": [ids] (special tokens added), "greedy": [ids], "greedy_margins": [float],
         "text": the greedy ids decoded}

Runs on one thread, downloads nothing (HF_HUB_OFFLINE=1), and exits 1 with a one-line reason on stderr. The
caller bounds its run time (the tests run it under `timeout`).
"""
import json
import os
import shutil
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

VOCAB = 128
MAX_NEW_TOKENS = 8
# Prompt and completion lengths differ per row so that spct's batched, left-padded passes are exercised.
PROMPT_LENGTHS = (3, 9, 14)
COMPLETION_LENGTHS = (6, 2, 9)


def small(**kwargs):
    """Sizes shared by every case; a case overrides what it is about."""
    base = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, bos_token_id=None,
                eos_token_id=None, pad_token_id=None)
    base.update(kwargs)
    return base


# name -> (config class, model class, config keyword arguments). Each case is about the features named.
CASES = {
    # Llama 3.1 frequency scaling with head_dim 16: the 8 frequencies fall in all three bands (kept, blended,
    # divided by factor) for original_max_position_embeddings 64.
    "llama-rope-llama3-untied": ("LlamaConfig", "LlamaForCausalLM", small(
        tie_word_embeddings=False, rope_theta=10000.0, head_dim=8,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64})),
    # Tied embeddings, a large rope_theta (read from rope_parameters), biases on all four attention projections.
    "llama-tied-bias": ("LlamaConfig", "LlamaForCausalLM", small(
        tie_word_embeddings=True, rope_theta=500000.0, attention_bias=True)),
    # Qwen2: q/k/v biases always, no o_proj bias; linear rope scaling.
    "qwen2-rope-linear": ("Qwen2Config", "Qwen2ForCausalLM", small(
        tie_word_embeddings=False, rope_theta=1000000.0, num_key_value_heads=1,
        rope_scaling={"rope_type": "linear", "factor": 2.0})),
    # Qwen3: per-head q/k RMSNorm, head_dim independent of hidden_size / heads, tied.
    "qwen3-headdim-tied": ("Qwen3Config", "Qwen3ForCausalLM", small(
        tie_word_embeddings=True, head_dim=16, rope_theta=1000000.0)),
    # Qwen3-MoE with renormalised top-k routing; layer 0 dense (mlp_only_layers).
    "qwen3moe-norm-topk": ("Qwen3MoeConfig", "Qwen3MoeForCausalLM", small(
        num_experts=4, num_experts_per_tok=2, moe_intermediate_size=24, norm_topk_prob=True,
        mlp_only_layers=[0], head_dim=8, tie_word_embeddings=False)),
    # Qwen3-MoE with raw top-k softmax weights (the transformers default), every layer sparse.
    "qwen3moe-raw-topk": ("Qwen3MoeConfig", "Qwen3MoeForCausalLM", small(
        num_experts=4, num_experts_per_tok=2, moe_intermediate_size=24, norm_topk_prob=False, head_dim=8,
        tie_word_embeddings=False)),
    # Gemma 2 as transformers makes it by default (tied, layer_types derived: layers 0 and 2 sliding), with a
    # window of 5 against sequences of up to 23 tokens, head_dim apart from hidden_size / heads, an attention
    # scale from query_pre_attn_scalar, and soft caps low enough to bend these tiny models' scores and logits
    # (at Gemma's 50 and 30 they would hardly act).
    "gemma2-sliding-softcap": ("Gemma2Config", "Gemma2ForCausalLM", small(
        num_hidden_layers=3, head_dim=16, query_pre_attn_scalar=24, sliding_window=5, attn_logit_softcapping=1.5,
        final_logit_softcapping=4.0)),
    # Gemma 2 untied, with explicit layer_types (sliding layers 1 and 2, window 4), no attention soft cap (the
    # fused attention kernel with Gemma's scale), biases on all four attention projections.
    "gemma2-layer-types-untied": ("Gemma2Config", "Gemma2ForCausalLM", small(
        num_hidden_layers=3, tie_word_embeddings=False, head_dim=8, query_pre_attn_scalar=12, sliding_window=4,
        layer_types=["full_attention", "sliding_attention", "sliding_attention"], attn_logit_softcapping=None,
        final_logit_softcapping=6.0, attention_bias=True)),
}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def randomize(model, seed):
    """Every parameter random, not just the matrices: transformers initialises norms to 1 and biases to 0,
    which would hide a norm or bias loaded into the wrong place. Scales keep the tiny model's logits spread
    out, so that greedy decoding has clear winners."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if name.endswith("norm.weight"):
                parameter.copy_(1.0 + 0.2 * noise)
            elif name.endswith(".bias"):
                parameter.copy_(0.2 * noise)
            else:
                parameter.copy_(0.15 * noise)


def token_rows(generator, lengths):
    return [torch.randint(0, VOCAB, (n,), generator=generator).tolist() for n in lengths]


def teacher_forced(model, prompt, completion):
    ids = torch.tensor([prompt + completion])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    positions = torch.arange(len(prompt) - 1, len(prompt) + len(completion) - 1)
    return logprobs[positions, torch.tensor(completion)].tolist()


def greedy(model, prompt):
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                             max_new_tokens=MAX_NEW_TOKENS, min_new_tokens=MAX_NEW_TOKENS, eos_token_id=None,
                             pad_token_id=0, output_scores=True, output_logits=True, return_dict_in_generate=True)
    tokens = out.sequences[0, len(prompt):].tolist()
    logprobs, margins = [], []
    for step, logits in enumerate(out.logits):
        row = logits[0].float()
        logprobs.append(torch.log_softmax(row, dim=-1)[tokens[step]].item())
        top = torch.topk(row, 2).values
        margins.append((top[0] - top[1]).item())
    return tokens, logprobs, margins


def make(out_dir):
    torch.set_num_threads(1)
    answer = {"transformers_version": transformers.__version__, "torch_version": torch.__version__, "cases": []}
    for index, (name, (config_class, model_class, kwargs)) in enumerate(CASES.items()):
        config = getattr(transformers, config_class)(**kwargs)
        torch.manual_seed(1000 + index)
        model = getattr(transformers, model_class)(config).eval()
        randomize(model, 2000 + index)
        for dtype_name, dtype in DTYPES.items():
            # bf16 is the same model rounded: the fp32 and bf16 cases differ only by the dtype.
            typed = model.to(dtype)
            case_dir = os.path.join(out_dir, f"{name}-{dtype_name}")
            typed.save_pretrained(case_dir)
            loaded = getattr(transformers, model_class).from_pretrained(case_dir, dtype=dtype).eval()
            generator = torch.Generator().manual_seed(3000 + index)
            prompts = token_rows(generator, PROMPT_LENGTHS)
            completions = token_rows(generator, COMPLETION_LENGTHS)
            case = {"name": f"{name}-{dtype_name}", "dir": case_dir, "family": config.model_type,
                    "dtype": dtype_name, "prompts": prompts, "completions": completions,
                    "logprobs": [teacher_forced(loaded, p, c) for p, c in zip(prompts, completions)],
                    "greedy": [], "greedy_logprobs": [], "greedy_margins": []}
            for prompt in prompts:
                tokens, logprobs, margins = greedy(loaded, prompt)
                case["greedy"].append(tokens)
                case["greedy_logprobs"].append(logprobs)
                case["greedy_margins"].append(margins)
            answer["cases"].append(case)
    json.dump(answer, sys.stdout)


def grads(request):
    torch.set_num_threads(1)
    ids = torch.tensor([request["input_ids"]])
    answer = {"loss": [], "grads": []}
    for model_dir in request["dirs"]:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
        loss = logprobs[torch.arange(ids.shape[1] - 1), ids[0, 1:]].sum()
        loss.backward()
        answer["loss"].append(loss.item())
        answer["grads"].append({name: p.grad.flatten().tolist() for name, p in model.named_parameters()})
    json.dump(answer, sys.stdout)


def gemma2_with_tokenizer(out_dir, tokenizer_dir, request):
    torch.set_num_threads(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_dir)
    config = transformers.Gemma2Config(**small(
        vocab_size=len(tokenizer), head_dim=16, query_pre_attn_scalar=16, sliding_window=4,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id))
    torch.manual_seed(4000)
    model = transformers.Gemma2ForCausalLM(config).eval()
    randomize(model, 4001)
    model.save_pretrained(out_dir)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(out_dir, name))
    loaded = transformers.Gemma2ForCausalLM.from_pretrained(out_dir, dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(out_dir)
    prompt = tokenizer(request["prompt"]).input_ids
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = loaded.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                              max_new_tokens=request["max_new_tokens"], eos_token_id=tokenizer.eos_token_id,
                              pad_token_id=tokenizer.pad_token_id, output_logits=True, return_dict_in_generate=True)
    tokens = out.sequences[0, len(prompt):].tolist()
    margins = []
    for logits in out.logits:
        top = torch.topk(logits[0].float(), 2).values
        margins.append((top[0] - top[1]).item())
    json.dump({"vocab_size": config.vocab_size, "prompt_ids": prompt, "greedy": tokens, "greedy_margins": margins,
               "text": tokenizer.decode(tokens)}, sys.stdout)


def logits(request):
    torch.set_num_threads(1)
    ids = torch.tensor(request["input_ids"])
    answer = {"logits": [], "dtypes": []}
    for model_dir in request["dirs"]:
        stored = transformers.AutoConfig.from_pretrained(model_dir).dtype
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        with torch.no_grad():
            answer["logits"].append(model(input_ids=ids).logits.float().tolist())
        answer["dtypes"].append(str(stored).removeprefix("torch."))
    json.dump(answer, sys.stdout)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "logits":
        logits(json.load(sys.stdin))
    elif len(sys.argv) == 2 and sys.argv[1] == "grads":
        grads(json.load(sys.stdin))
    elif len(sys.argv) == 4 and sys.argv[1] == "gemma2-with-tokenizer":
        gemma2_with_tokenizer(sys.argv[2], sys.argv[3], json.load(sys.stdin))
    else:
        raise ValueError("usage: hf_model_reference.py make OUT_DIR | logits < request.json | grads < request.json | "
                         "gemma2-with-tokenizer OUT_DIR TOKENIZER_DIR < request.json")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a clear one-line reason for the C++ test's failure message
        print(f"hf_model_reference: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
