#!/usr/bin/env python3
"""spct's rollout engine against Hugging Face transformers' generate, side by side in one run.

Both sides get the same random model (written once as a Hugging Face safetensors directory, which spct loads),
the same random prompts, the same thread count and the same lengths; every new token is generated (no stop
token), greedy and sampled (temperature 1, no top-k/top-p). Reports tokens/s and CPU-seconds per generated
token for each side and the spct / transformers ratio, and at the largest batch the share of spct's decode time
spent outside matmul/attention (bench/rollout/kernel_timer.h).

Usage: bench/rollout/compare_transformers.py [--build build] [--shape tiny|qwen0.5b] [--batches 1 64]
         [--prompt 128] [--new-tokens 128] [--threads 2] [--reps 1] [--dtype float32|bfloat16] [--no-profile]

Both sides warm up on the prompts' first 8 tokens (2 new tokens) before they are timed. --no-profile skips the
two extra spct runs of the decode profile (at the 0.5B shape each costs a full prefill).
"""
import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

import torch
import transformers

SHAPES = {
    "tiny": dict(vocab_size=8192, hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, intermediate_size=352, tie_word_embeddings=True),
    # Qwen2.5-0.5B's shape (random weights).
    "qwen0.5b": dict(vocab_size=151936, hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
                     num_key_value_heads=2, intermediate_size=4864, tie_word_embeddings=True),
}


def make_model(shape, dtype, path):
    config = transformers.Qwen2Config(**SHAPES[shape], max_position_embeddings=4096, rope_theta=1000000.0,
                                      rms_norm_eps=1e-6, bos_token_id=None, eos_token_id=None)
    torch.manual_seed(1)
    model = transformers.Qwen2ForCausalLM(config).to(dtype).eval()
    model.save_pretrained(path, safe_serialization=True)
    return model


def hf_generate(model, prompts, new_tokens, sampled):
    width = max(len(p) for p in prompts)
    ids = torch.zeros(len(prompts), width, dtype=torch.long)
    mask = torch.zeros(len(prompts), width, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    kwargs = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0) if sampled else dict(do_sample=False)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, pad_token_id=0, eos_token_id=None, **kwargs)
    return (out.shape[1] - width) * len(prompts)


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    tokens = fn()
    return tokens, time.perf_counter() - wall, time.process_time() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    binary = pathlib.Path(args.build) / "bench/rollout/spct_bench_rollout"
    torch.set_num_threads(args.threads)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        model = make_model(args.shape, getattr(torch, args.dtype), work + "/model")
        rng = random.Random(7)
        for batch in args.batches:
            prompts = [[rng.randrange(1, SHAPES[args.shape]["vocab_size"]) for _ in range(args.prompt)]
                       for _ in range(batch)]
            prompt_file = f"{work}/prompts{batch}.txt"
            pathlib.Path(prompt_file).write_text("".join(" ".join(map(str, p)) + "\n" for p in prompts))
            for sampled in (False, True):
                profile = sampled and batch == max(args.batches) and not args.no_profile
                spct_out = subprocess.run(
                    [str(binary), work + "/model", prompt_file, str(args.new_tokens), "1" if sampled else "0",
                     str(args.threads), str(args.reps), "1" if profile else "0"],
                    env=env, check=True, capture_output=True, text=True).stdout
                lines = [json.loads(line) for line in spct_out.splitlines() if line.startswith("{")]
                spct = [r for r in lines if r["side"] == "spct"]
                share = [r["outside_share"] for r in lines if r["side"] == "spct_profile"]
                hf_generate(model, [p[:8] for p in prompts], 2, sampled)  # warm-up, as spct's side does
                hf = [timed(lambda: hf_generate(model, prompts, args.new_tokens, sampled)) for _ in range(args.reps)]
                s_tok = sum(r["tokens"] for r in spct) / sum(r["seconds"] for r in spct)
                s_cpu = sum(r["cpu_s"] for r in spct) / sum(r["tokens"] for r in spct)
                h_tok = sum(t for t, _, _ in hf) / sum(w for _, w, _ in hf)
                h_cpu = sum(c for _, _, c in hf) / sum(t for t, _, _ in hf)
                rows.append(dict(shape=args.shape, batch=batch, mode="sampled" if sampled else "greedy",
                                 spct_tok_s=s_tok, hf_tok_s=h_tok, ratio=s_tok / h_tok, spct_cpu_s_per_tok=s_cpu,
                                 hf_cpu_s_per_tok=h_cpu, spct_outside_share=share[0] if share else None))
                print(json.dumps(rows[-1]), flush=True)
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
    print(f"\n{args.shape} ({args.dtype}), prompt {args.prompt}, new {args.new_tokens}, {args.threads} threads, "
          f"transformers {transformers.__version__}, torch {torch.__version__}")
    print("| batch | mode | spct tok/s | transformers tok/s | ratio | spct CPU-s/tok | transformers CPU-s/tok |"
          " spct decode outside matmul/attn |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = "" if r["spct_outside_share"] is None else f"{100 * r['spct_outside_share']:.0f}%"
        print(f"| {r['batch']} | {r['mode']} | {r['spct_tok_s']:.1f} | {r['hf_tok_s']:.1f} | {r['ratio']:.2f}x |"
              f" {r['spct_cpu_s_per_tok']:.4f} | {r['hf_cpu_s_per_tok']:.4f} | {share} |")


if __name__ == "__main__":
    sys.exit(main())
