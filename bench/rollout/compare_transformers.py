#!/usr/bin/env python3
"""spct's rollout engine against Hugging Face transformers' generate, side by side in one run.

Both sides get the same random model (written once as a Hugging Face safetensors directory, which both load),
the same random prompts, the same thread count and the same lengths; every new token is generated (no stop
token), greedy and sampled (temperature 1, no top-k/top-p). Reports tokens/s and CPU-seconds per generated
token for each side and the spct / transformers ratio, each side's prefill and decode separately, and at the
largest batch the share of spct's decode time spent outside matmul/attention (bench/rollout/kernel_timer.h).

Usage: bench/rollout/compare_transformers.py [--build build] [--shape tiny|qwen0.5b] [--batches 1 64]
         [--prompt 128] [--new-tokens 128] [--threads 2] [--reps 1] [--dtype float32|bfloat16] [--no-profile]
         [--budget-s 1800] [--out results.jsonl] [--omp-wait spin|passive]

Both sides run with the same OpenMP wait policy (--omp-wait): by default the short spin spct chooses on a node
with room for it (orchestrator/run/openmp_wait_policy.h), or passive waiting, its choice on a shared node.
Each side runs in its own process, one after the other (spct, then transformers, for each batch and mode), so
the two alternate under the same load. Both warm up on the prompts' first 8 tokens (2 new tokens) before they
are timed. Each reports its prefill (up to the first generated token) and every decode step as it goes; a side
still running --budget-s seconds after it started (loading the model and the warm-up count) is stopped, and its
row then gives what it measured: the prefill, the decode rate over the steps it finished, and whole-run figures
extrapolated from those (marked "est."). --out appends every side's result as one JSON line as soon as it is
known, so an interrupted run keeps what it measured. --no-profile skips the two extra spct runs of the decode
profile (at the 0.5B shape each costs a full prefill). TMPDIR=/dev/shm keeps the model (2 GB at the 0.5B shape,
float32) off a full disk.
"""
import argparse
import json
import os
import pathlib
import queue
import random
import subprocess
import sys
import tempfile
import threading
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


class StepClock:
    """A generate() streamer that prints a progress line per generated token (the first one ends the prefill)."""

    def __init__(self):
        self.start_wall = self.start_cpu = None
        self.steps = -1  # the first put() is the prompt
        self.prefill = None

    def start(self):
        self.start_wall, self.start_cpu = time.perf_counter(), time.process_time()

    def elapsed(self):
        return time.perf_counter() - self.start_wall, time.process_time() - self.start_cpu

    def put(self, _tokens):
        self.steps += 1
        if self.steps == 0:
            return
        wall, cpu = self.elapsed()
        if self.steps == 1:
            self.prefill = (wall, cpu)
        # decode_steps counts forward passes after the prefill, as spct's progress lines do.
        print(json.dumps(dict(side="hf_progress", decode_steps=self.steps - 1, seconds=wall, cpu_s=cpu)), flush=True)

    def end(self):
        pass


def hf_generate(model, prompts, new_tokens, sampled, streamer=None):
    width = max(len(p) for p in prompts)
    ids = torch.zeros(len(prompts), width, dtype=torch.long)
    mask = torch.zeros(len(prompts), width, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    kwargs = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0) if sampled else dict(do_sample=False)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, pad_token_id=0, eos_token_id=None, streamer=streamer,
                             **kwargs)
    return (out.shape[1] - width) * len(prompts)


def hf_worker(args):
    """transformers' side in its own process: one JSON line per decode step, then one per timed run."""
    torch.set_num_threads(args.threads)
    model = transformers.Qwen2ForCausalLM.from_pretrained(args.hf_worker, dtype=getattr(torch, args.dtype)).eval()
    prompts = [list(map(int, line.split())) for line in pathlib.Path(args.prompts_file).read_text().splitlines()]
    prompts = [p for p in prompts if p]
    hf_generate(model, [p[:8] for p in prompts], 2, args.sampled)  # warm-up, as spct's side does
    for _ in range(args.reps):
        clock = StepClock()
        clock.start()
        tokens = hf_generate(model, prompts, args.new_tokens, args.sampled, clock)
        wall, cpu = clock.elapsed()
        print(json.dumps(dict(side="hf", batch=len(prompts), tokens=tokens, seconds=wall, cpu_s=cpu,
                              prefill_s=clock.prefill[0], prefill_cpu_s=clock.prefill[1])), flush=True)


def run_side(command, budget_s, env):
    """Runs one side's process and returns its JSON lines, up to its exit or until budget_s passes (then it is
    killed)."""
    errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty side must not block on stderr
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    lines = queue.Queue()

    def read():  # in a thread, so that the budget holds while the side prints nothing
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + budget_s
    out = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            proc.wait()
            return out
        if line is None:
            break
        if line.startswith("{"):
            out.append(json.loads(line))
    if proc.wait() != 0:
        errors.seek(0)
        raise SystemExit(f"{' '.join(command)} failed (exit {proc.returncode}):\n{errors.read()}")
    return out


def summarise(side, lines, batch, new_tokens):
    """One side's figures from its lines: whole-run tokens/s and CPU-s per token, prefill and decode apart. A
    stopped run is extrapolated from its prefill and the decode steps it finished."""
    done = [r for r in lines if r["side"] == side]
    progress = [r for r in lines if r["side"] == side + "_progress"]
    if done:
        tokens = sum(r["tokens"] for r in done)
        seconds = sum(r["seconds"] for r in done)
        cpu = sum(r["cpu_s"] for r in done)
        prefill = sum(r["prefill_s"] for r in done) / len(done)
        prefill_cpu = sum(r["prefill_cpu_s"] for r in done) / len(done)
        decode_tokens = tokens / len(done) - batch  # the first token of each row comes with the prefill
        decode_s = seconds / len(done) - prefill
        decode_cpu = cpu / len(done) - prefill_cpu
        return dict(tok_s=tokens / seconds, cpu_s_per_tok=cpu / tokens, prefill_s=prefill,
                    prefill_cpu_s=prefill_cpu, decode_tok_s=decode_tokens / decode_s if decode_s > 0 else None,
                    decode_cpu_s_per_tok=decode_cpu / decode_tokens if decode_tokens > 0 else None, complete=True)
    first = next((r for r in progress if r["decode_steps"] == 0), None)
    if first is None:
        return dict(complete=False, prefill_s=None)  # stopped inside the prefill
    last = progress[-1]
    steps = last["decode_steps"]
    result = dict(complete=False, prefill_s=first["seconds"], prefill_cpu_s=first["cpu_s"], decode_steps=steps)
    if steps > 0:
        step_s = (last["seconds"] - first["seconds"]) / steps
        step_cpu = (last["cpu_s"] - first["cpu_s"]) / steps
        seconds = first["seconds"] + (new_tokens - 1) * step_s
        cpu = first["cpu_s"] + (new_tokens - 1) * step_cpu
        result.update(decode_tok_s=batch / step_s, decode_cpu_s_per_tok=step_cpu / batch,
                      tok_s=batch * new_tokens / seconds, cpu_s_per_tok=cpu / (batch * new_tokens))
    return result


# run::kShortSpinCount (orchestrator/run/openmp_wait_policy.h).
SHORT_SPIN_COUNT = 5000


def omp_wait_environment(policy):
    """The environment both sides run in: the same OpenMP wait policy, set explicitly (so spct keeps it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "SPCT_OPENMP_WAIT", "SPCT_OPENMP_WAIT_CHOICE")}
    if policy == "spin":
        env["GOMP_SPINCOUNT"] = str(SHORT_SPIN_COUNT)
    else:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


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
    ap.add_argument("--budget-s", type=float, default=1800.0)
    ap.add_argument("--out", help="append each side's result here as a JSON line as soon as it is known")
    ap.add_argument("--omp-wait", choices=["spin", "passive"], default="spin",
                    help="OpenMP wait policy of both sides: spin = what spct chooses on a node with room for it "
                         f"(GOMP_SPINCOUNT={SHORT_SPIN_COUNT}), passive = OMP_WAIT_POLICY=PASSIVE (a shared node)")
    # transformers' side, run by this script in its own process.
    ap.add_argument("--hf-worker", metavar="MODEL_DIR", help=argparse.SUPPRESS)
    ap.add_argument("--prompts-file", help=argparse.SUPPRESS)
    ap.add_argument("--sampled", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hf_worker:
        return hf_worker(args)

    binary = pathlib.Path(args.build) / "bench/rollout/spct_bench_rollout"
    if not binary.is_file():
        raise SystemExit(f"build {binary} first (cmake --build {args.build} --target spct_bench_rollout)")
    env = omp_wait_environment(args.omp_wait)
    print(f"load average before: {open('/proc/loadavg').read().split()[0]}", flush=True)
    rows = []
    out_file = open(args.out, "a") if args.out else None

    def record(entry):
        print(json.dumps(entry), flush=True)
        if out_file:
            out_file.write(json.dumps(entry) + "\n")
            out_file.flush()

    with tempfile.TemporaryDirectory() as work:
        model_dir = work + "/model"
        make_model(args.shape, getattr(torch, args.dtype), model_dir)  # each side loads it in its own process
        rng = random.Random(7)
        for batch in args.batches:
            prompts = [[rng.randrange(1, SHAPES[args.shape]["vocab_size"]) for _ in range(args.prompt)]
                       for _ in range(batch)]
            prompt_file = f"{work}/prompts{batch}.txt"
            pathlib.Path(prompt_file).write_text("".join(" ".join(map(str, p)) + "\n" for p in prompts))
            for sampled in (False, True):
                mode = "sampled" if sampled else "greedy"
                profile = sampled and batch == max(args.batches) and not args.no_profile
                spct_cmd = [str(binary), model_dir, prompt_file, str(args.new_tokens), "1" if sampled else "0",
                            str(args.threads), str(args.reps), "1" if profile else "0", "1"]
                hf_cmd = [sys.executable, __file__, "--hf-worker", model_dir, "--prompts-file", prompt_file,
                          "--new-tokens", str(args.new_tokens), "--threads", str(args.threads), "--reps",
                          str(args.reps), "--dtype", args.dtype] + (["--sampled"] if sampled else [])
                row = dict(shape=args.shape, batch=batch, mode=mode, prompt=args.prompt, new_tokens=args.new_tokens)
                for side, cmd in (("spct", spct_cmd), ("hf", hf_cmd)):
                    load = open("/proc/loadavg").read().split()[0]
                    lines = run_side(cmd, args.budget_s, env)
                    result = summarise(side, lines, batch, args.new_tokens)
                    result["load"] = f"{load}-{open('/proc/loadavg').read().split()[0]}"
                    if side == "spct":
                        share = [r["outside_share"] for r in lines if r["side"] == "spct_profile"]
                        result["outside_share"] = share[0] if share else None
                    row[side] = result
                    record(dict(shape=args.shape, batch=batch, mode=mode, side=side, omp_wait=args.omp_wait, **result))
                if row["spct"].get("tok_s") and row["hf"].get("tok_s"):
                    row["ratio"] = row["spct"]["tok_s"] / row["hf"]["tok_s"]
                rows.append(row)
    print(f"load average after: {open('/proc/loadavg').read().split()[0]}")
    print_table(args, rows)
    return 0


def fmt(value, spec, estimated=False, unit=""):
    if value is None:
        return "-"
    return format(value, spec) + unit + (" (est.)" if estimated else "")


def print_table(args, rows):
    print(f"\n{args.shape} ({args.dtype}), prompt {args.prompt}, new {args.new_tokens}, {args.threads} threads, "
          f"OpenMP waits: {args.omp_wait}, "
          f"transformers {transformers.__version__}, torch {torch.__version__}; est. = stopped at --budget-s "
          f"{args.budget_s:g}, extrapolated from its prefill and decode steps")
    print("| batch | mode | spct tok/s | transformers tok/s | spct / transformers | spct CPU-s/tok |"
          " transformers CPU-s/tok | prefill s (spct / transformers) | decode tok/s (spct / transformers) |"
          " spct decode outside matmul/attn | load (spct; transformers) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, h = r["spct"], r["hf"]
        est = not (s["complete"] and h["complete"])
        share = "" if s.get("outside_share") is None else f"{100 * s['outside_share']:.0f}%"
        print(f"| {r['batch']} | {r['mode']} | {fmt(s.get('tok_s'), '.2f', not s['complete'])} |"
              f" {fmt(h.get('tok_s'), '.2f', not h['complete'])} | {fmt(r.get('ratio'), '.2f', est, 'x')} |"
              f" {fmt(s.get('cpu_s_per_tok'), '.3g')} | {fmt(h.get('cpu_s_per_tok'), '.3g')} |"
              f" {fmt(s.get('prefill_s'), '.1f')} / {fmt(h.get('prefill_s'), '.1f')} |"
              f" {fmt(s.get('decode_tok_s'), '.2f')} / {fmt(h.get('decode_tok_s'), '.2f')} | {share} |"
              f" {s['load']}; {h['load']} |")

if __name__ == "__main__":
    sys.exit(main())
