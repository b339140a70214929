#!/usr/bin/env python3
"""The plain PyTorch-eager baseline that bench/eager/compare.sh measures spct against.

What a user writes without spct, in the same libtorch (the torch wheel spct builds against): the same Qwen2-layout
decoder as spct's (RMSNorm, rotary positions, grouped-query attention with QKV bias, SwiGLU), a KV cache made
with torch.cat, multinomial sampling, and a GRPO step written out in tensors. It checks nothing about spct; it
prints one JSON line per measurement.

  eager_loop.py gen  --batch 64 --vocab 131072 ...   generation with the KV cache, tokens/s
  eager_loop.py grpo --steps 20 ...                    the whole GRPO step of configs/grpo_add.yaml, s/step

Shapes follow bench/eager/compare.sh (which passes the same ones to spct); --threads sets torch's intra-op
threads (compare.sh gives both sides the same count).
"""
import argparse
import json
import math
import random
import resource
import time

import torch
import torch.nn.functional as F


class Decoder(torch.nn.Module):
    """Qwen2 layout: spct's models/transformer.h with family qwen2."""

    def __init__(self, vocab, hidden, layers, heads, kv_heads, intermediate, tie, theta=10000.0, eps=1e-6):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.eps = heads, kv_heads, hidden // heads, eps
        self.embed = torch.nn.Embedding(vocab, hidden)
        self.layers = torch.nn.ModuleList()
        for _ in range(layers):
            layer = torch.nn.Module()
            layer.q = torch.nn.Linear(hidden, heads * self.head_dim)
            layer.k = torch.nn.Linear(hidden, kv_heads * self.head_dim)
            layer.v = torch.nn.Linear(hidden, kv_heads * self.head_dim)
            layer.o = torch.nn.Linear(heads * self.head_dim, hidden, bias=False)
            layer.gate = torch.nn.Linear(hidden, intermediate, bias=False)
            layer.up = torch.nn.Linear(hidden, intermediate, bias=False)
            layer.down = torch.nn.Linear(intermediate, hidden, bias=False)
            layer.norm1 = torch.nn.Parameter(torch.ones(hidden))
            layer.norm2 = torch.nn.Parameter(torch.ones(hidden))
            self.layers.append(layer)
        self.norm = torch.nn.Parameter(torch.ones(hidden))
        self.head = None if tie else torch.nn.Linear(hidden, vocab, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
        self.inv_freq = 1.0 / theta ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x, positions):
        angles = positions[:, None, :, None].float() * self.inv_freq
        cos, sin = angles.cos().repeat(1, 1, 1, 2), angles.sin().repeat(1, 1, 1, 2)
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    def forward(self, ids, positions, mask, cache=None):
        """ids, positions [B, T]; mask [B, S] (S = cached + T, True = real token). Returns logits [B, T, V]."""
        b, t = ids.shape
        x = self.embed(ids)
        s = mask.shape[1]
        causal = torch.ones(t, s, dtype=torch.bool).tril(s - t)
        allowed = causal[None, None] & mask[:, None, None, :]
        for i, layer in enumerate(self.layers):
            h = self.rms(x, layer.norm1)
            q = layer.q(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = layer.k(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = layer.v(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = self.rope(q, positions), self.rope(k, positions)
            if cache is not None:
                if len(cache) > i:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                    cache[i] = (k, v)
                else:
                    cache.append((k, v))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=True)
            x = x + layer.o(a.transpose(1, 2).reshape(b, t, -1))
            h = self.rms(x, layer.norm2)
            x = x + layer.down(F.silu(layer.gate(h)) * layer.up(h))
        x = self.rms(x, self.norm)
        return x @ self.embed.weight.t() if self.head is None else self.head(x)


def left_pad(sequences):
    length = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), length, dtype=torch.long)
    positions = torch.zeros_like(ids)
    mask = torch.zeros(len(sequences), length, dtype=torch.bool)
    for i, s in enumerate(sequences):
        pad = length - len(s)
        ids[i, pad:] = torch.tensor(s)
        positions[i, pad:] = torch.arange(len(s))
        mask[i, pad:] = True
    return ids, positions, mask


@torch.inference_mode()
def generate(model, prompts, new_tokens, stop_ids=(), temperature=1.0):
    """Samples up to new_tokens per prompt; returns (tokens, sampling log-probs) per prompt."""
    ids, positions, mask = left_pad(prompts)
    cache = []
    logits = model(ids, positions, mask, cache)[:, -1]
    next_pos = positions[:, -1] + 1
    stop = torch.tensor(list(stop_ids), dtype=torch.long)
    done = torch.zeros(len(prompts), dtype=torch.bool)
    tokens, logps = [], []
    for _ in range(new_tokens):
        logp = torch.log_softmax(logits.float() / temperature, -1)
        token = torch.multinomial(logp.exp(), 1)
        tokens.append(token)
        logps.append(logp.gather(1, token))
        done |= torch.isin(token[:, 0], stop)
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones(len(prompts), 1, dtype=torch.bool)], 1)
        logits = model(token, next_pos[:, None], mask, cache)[:, -1]
        next_pos = next_pos + 1
    # Each row ends at its first stop token (kept); later samples of finished rows are dropped.
    tokens, logps = torch.cat(tokens, 1).tolist(), torch.cat(logps, 1).tolist()
    for i, row in enumerate(tokens):
        end = next((j + 1 for j, t in enumerate(row) if t in stop_ids), len(row))
        tokens[i], logps[i] = row[:end], logps[i][:end]
    return tokens, logps


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_gen(args):
    model = Decoder(args.vocab, args.hidden, args.layers, args.heads, args.kv_heads, args.intermediate, tie=False)
    prompts = [[random.randrange(args.vocab) for _ in range(args.prompt)] for _ in range(args.batch)]
    generate(model, prompts, 2)  # warm-up
    for _ in range(args.reps):
        start, cpu_start = time.perf_counter(), cpu_seconds()
        out, _ = generate(model, prompts, args.new_tokens)
        seconds, cpu_s = time.perf_counter() - start, cpu_seconds() - cpu_start
        tokens = sum(len(o) for o in out)
        print(json.dumps({"what": "gen", "batch": args.batch, "vocab": args.vocab, "tokens": tokens,
                          "seconds": seconds, "cpu_s": cpu_s, "tokens_per_s": tokens / seconds}), flush=True)


# configs/grpo_add.yaml with spct's built-in character tokenizer (models/tokenizer/char_tokenizer.h):
# 0 <pad>, 1 <bos>, 2 <eos>, 3 '\n', 4 + (c - 32) for printable ASCII c.
BOS, EOS, NEWLINE, VOCAB = 1, 2, 3, 99


def encode(text):
    return [4 + ord(c) - 32 for c in text]


def decode(tokens):
    return "".join(chr(t - 4 + 32) if t >= 4 else "\n" if t == NEWLINE else "" for t in tokens)


def sequence_logprobs(model, sequences, prompt_lens):
    """Per-token log-probs of each completion under model, [N, C] with a completion mask [N, C]."""
    ids, positions, mask = left_pad(sequences)
    logits = model(ids[:, :-1], positions[:, :-1], mask[:, :-1])
    logp = torch.log_softmax(logits.float(), -1).gather(2, ids[:, 1:, None])[..., 0]
    length = ids.shape[1]
    completion = torch.zeros_like(mask[:, 1:])
    for i, (s, p) in enumerate(zip(sequences, prompt_lens)):
        completion[i, length - len(s) + p - 1:] = True  # targets that are completion tokens
    return logp, completion


def grpo_step(policy, reference, optimizer, args, rng):
    """One GRPO step: sample groups, score them, one AdamW update of the clipped objective with a k3 KL term."""
    pairs = [(rng.randrange(10), rng.randrange(10)) for _ in range(args.prompts)]
    prompts = [[BOS] + encode(f"{a}+{b}=") for a, b in pairs for _ in range(args.group)]
    completions, old_logps = generate(policy, prompts, args.new_tokens, stop_ids=(EOS, NEWLINE))
    answers = [str(a + b) for a, b in pairs for _ in range(args.group)]
    rewards = torch.tensor([float(decode(c).split("\n")[0].strip() == ans) for c, ans in zip(completions, answers)])
    grouped = rewards.view(args.prompts, args.group)
    advantages = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-6)).view(-1)

    sequences = [p + c for p, c in zip(prompts, completions)]
    prompt_lens = [len(p) for p in prompts]
    with torch.no_grad():
        ref_logp, _ = sequence_logprobs(reference, sequences, prompt_lens)
    logp, completion = sequence_logprobs(policy, sequences, prompt_lens)
    old = torch.zeros_like(logp)
    for i, lps in enumerate(old_logps):
        old[i, logp.shape[1] - len(lps):] = torch.tensor(lps)
    ratio = torch.exp(logp - old)
    adv = advantages[:, None]
    surrogate = -torch.minimum(ratio * adv, ratio.clamp(1 - 0.2, 1 + 0.2) * adv)
    kl = torch.exp(ref_logp - logp) - (ref_logp - logp) - 1
    per_token = (surrogate + args.beta * kl) * completion
    loss = (per_token.sum(1) / completion.sum(1).clamp_min(1)).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    optimizer.step()
    return float(rewards.mean())


def bench_grpo(args):
    rng = random.Random(1)
    torch.manual_seed(1)
    policy = Decoder(VOCAB, args.hidden, args.layers, args.heads, args.kv_heads, args.intermediate, tie=True)
    reference = Decoder(VOCAB, args.hidden, args.layers, args.heads, args.kv_heads, args.intermediate, tie=True)
    reference.load_state_dict(policy.state_dict())
    reference.requires_grad_(False)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=args.lr, weight_decay=0.0)
    for step in range(args.steps):
        start = time.perf_counter()
        accuracy = grpo_step(policy, reference, optimizer, args, rng)
        print(json.dumps({"what": "grpo", "step": step + 1, "step_s": time.perf_counter() - start,
                          "accuracy": accuracy}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["gen", "grpo"])
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=131072)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--intermediate", type=int, default=704)
    parser.add_argument("--prompt", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--beta", type=float, default=0.04)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    random.seed(0)
    bench_gen(args) if args.what == "gen" else bench_grpo(args)


if __name__ == "__main__":
    main()
