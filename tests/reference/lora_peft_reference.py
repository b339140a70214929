#!/usr/bin/env python3
"""The LoRA reference of the tests: Hugging Face `transformers` + `peft` (PyPI, python/requirements-test.txt).

Two commands, each answering one JSON object on stdout:

  make OUT_DIR
      Saves a random tiny Qwen2 model (vocab 99, the size of spct's character tokenizer; weights from
      torch.manual_seed, nothing from a hub) with save_pretrained in float32 into OUT_DIR.
        {"dir": OUT_DIR, "transformers_version": "...", "peft_version": "..."}

  compare BASE_DIR ADAPTER_DIR MERGED_DIR   (request on stdin: {"input_ids": [ids], "logprobs": [float]}, one
                                              spct generation: prompt + completion ids and spct's log-prob of
                                              each completion token, temperature 1)
      Loads BASE_DIR and applies ADAPTER_DIR with peft.PeftModel.from_pretrained (PEFT's own loader: key names,
      scaling and target modules as written by `spct export`), loads MERGED_DIR with transformers alone, and answers
        {"peft_vs_merged": max |logits difference|,
         "adapter_effect": max |peft logits - base logits| (the adapter is not a no-op when this is large),
         "spct_vs_peft": max |spct log-prob - peft log-prob| over the completion tokens,
         "loaded_adapters": number of lora_A modules peft attached}

Runs on one thread, downloads nothing, and exits 1 with a one-line reason on stderr. The caller bounds its run
time (the tests run it under `timeout`).
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402


def make(out_dir):
    config = transformers.Qwen2Config(vocab_size=99, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                      rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
                                      bos_token_id=1, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(7)
    model = transformers.Qwen2ForCausalLM(config).eval()
    generator = torch.Generator().manual_seed(8)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            parameter.copy_(1.0 + 0.1 * noise if name.endswith("norm.weight") else 0.1 * noise)
    model.save_pretrained(out_dir)
    json.dump({"dir": out_dir, "transformers_version": transformers.__version__,
               "peft_version": peft.__version__}, sys.stdout)


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits[0].float()


def compare(base_dir, adapter_dir, merged_dir, request):
    ids = torch.tensor([request["input_ids"]])
    spct_logprobs = torch.tensor(request["logprobs"], dtype=torch.float32)
    load = transformers.AutoModelForCausalLM.from_pretrained
    base_logits = logits_of(load(base_dir, dtype=torch.float32).eval(), ids)
    adapted = peft.PeftModel.from_pretrained(load(base_dir, dtype=torch.float32), adapter_dir).eval()
    loaded = sum(1 for name, _ in adapted.named_modules() if name.endswith("lora_A.default"))
    peft_logits = logits_of(adapted, ids)
    merged_logits = logits_of(load(merged_dir, dtype=torch.float32).eval(), ids)
    completion = len(request["logprobs"])
    prompt = ids.shape[1] - completion
    logprobs = torch.log_softmax(peft_logits, dim=-1)
    positions = torch.arange(prompt - 1, prompt + completion - 1)
    peft_logprobs = logprobs[positions, ids[0, prompt:]]
    json.dump({"peft_vs_merged": (peft_logits - merged_logits).abs().max().item(),
               "adapter_effect": (peft_logits - base_logits).abs().max().item(),
               "spct_vs_peft": (peft_logprobs - spct_logprobs).abs().max().item(),
               "loaded_adapters": loaded}, sys.stdout)


def main():
    torch.set_num_threads(1)
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4], json.load(sys.stdin))
    else:
        raise ValueError("usage: lora_peft_reference.py make OUT_DIR | compare BASE ADAPTER MERGED < request.json")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a clear one-line reason for the test's failure message
        print(f"lora_peft_reference: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
