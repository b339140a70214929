#!/usr/bin/env python3
"""What a decode step's kernels alone cost: the floor under any engine on this machine.

Times, with PyTorch from Python and nothing else around them, the pieces a batch-B decode step of a Qwen2-shaped
model is made of, so that an engine's measured step (bench/rollout/compare_transformers.py) can be read against
them:

- projections: every layer's q/k/v/o and MLP products plus the head, over distinct weights per layer (so they
  stream from memory as a real step's do), three ways: `torch.nn.functional.linear` (what at::linear runs: MKL
  in float32, oneDNN in bfloat16), oneDNN's `mkldnn._linear_pointwise` on the plain weights (what spct's float32
  projections call, models/onednn_linear.h), and the same on weights pre-packed in oneDNN's blocked layout;
- attention of one query per row over `--keys` cached keys (grouped-query heads): ATen's
  `scaled_dot_product_attention` against two batched matmuls with the query heads of each key/value head
  stacked (what spct's bfloat16 decode step does, models/decoder_layer.h).

Usage: bench/rollout/decode_floor.py [--shape qwen0.5b|tiny] [--batch 64] [--keys 200] [--threads 2]
         [--dtype bfloat16|float32] [--reps 5]
Prints one line per measurement and a JSON line. Weights are random; only shapes matter.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

SHAPES = {  # hidden, intermediate, layers, heads, kv heads, vocab (as compare_transformers.py)
    "tiny": (128, 352, 4, 4, 2, 8192),
    "qwen0.5b": (896, 4864, 24, 14, 2, 151936),
}


def seconds_per_call(fn, reps):
    fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen0.5b")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    hidden, inter, layers, heads, kv_heads, vocab = SHAPES[args.shape]
    head_dim = hidden // heads
    b = args.batch

    shapes = [(heads * head_dim, hidden), (kv_heads * head_dim, hidden), (kv_heads * head_dim, hidden),
              (hidden, heads * head_dim), (inter, hidden), (inter, hidden), (hidden, inter)]
    weights = [[torch.randn(n, k, dtype=dtype) for (n, k) in shapes] for _ in range(layers)] + [
        [torch.randn(vocab, hidden, dtype=dtype)]]
    inputs = {k: torch.randn(b, k, dtype=dtype) for k in {hidden, inter}}
    start = time.perf_counter()
    packed = [[torch.ops.mkldnn._reorder_linear_weight(w, b) for w in layer] for layer in weights]
    pack_s = time.perf_counter() - start
    pointwise = torch.ops.mkldnn._linear_pointwise

    def projections(kind):
        def step():
            for layer_plain, layer_packed in zip(weights, packed):
                for w, p in zip(layer_plain, layer_packed):
                    x = inputs[w.shape[1]]
                    if kind == "linear":
                        F.linear(x, w)
                    else:
                        pointwise(x, p if kind == "packed" else w, None, "none", [], "")
        return step

    result = dict(shape=args.shape, batch=b, dtype=args.dtype, threads=args.threads, pack_s=pack_s)
    for kind in ("linear", "onednn", "packed"):
        result[f"projections_{kind}_ms"] = 1e3 * seconds_per_call(projections(kind), args.reps)
        print(f"projections of one decode step, {kind}: {result[f'projections_{kind}_ms']:.1f} ms", flush=True)
    print(f"packing every weight: {pack_s:.2f} s", flush=True)

    group = heads // kv_heads
    capacity = args.keys + 56
    q = torch.randn(b, 1, heads, head_dim, dtype=dtype).transpose(1, 2)
    keys = torch.randn(b, kv_heads, capacity, head_dim, dtype=dtype).narrow(2, 0, args.keys)
    values = torch.randn(b, kv_heads, capacity, head_dim, dtype=dtype).narrow(2, 0, args.keys)
    mask = torch.ones(b, 1, 1, args.keys, dtype=torch.bool)
    mask[:, :, :, :8] = False  # some left padding

    def sdpa():
        return F.scaled_dot_product_attention(q, keys, values, mask, enable_gqa=True)

    def matmuls():
        grouped = q.reshape(b, kv_heads, group, head_dim)
        scores = torch.matmul(grouped, keys.transpose(2, 3)) * (1.0 / math.sqrt(head_dim))
        scores = scores.masked_fill(~mask, float("-inf"))
        probs = torch.softmax(scores, -1, dtype=torch.float).to(dtype)
        return torch.matmul(probs, values).view(b, heads, 1, head_dim)

    result["attention_max_abs_diff"] = (sdpa().float() - matmuls().float()).abs().max().item()
    for name, fn in (("sdpa", sdpa), ("matmuls", matmuls)):
        result[f"attention_{name}_ms"] = 1e3 * seconds_per_call(fn, max(20, args.reps))
        print(f"attention of one layer, {name}: {result[f'attention_{name}_ms']:.2f} ms", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
