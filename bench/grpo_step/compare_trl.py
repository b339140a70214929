#!/usr/bin/env python3
"""A whole GRPO step: spct against TRL's GRPOTrainer, side by side in one run.

Both sides get the same random Qwen2-architecture model (written once as a Hugging Face safetensors directory
with a real tokenizer), the same prompts, group size, prompts per step, completion length, thread count, KL
coefficient (so both keep a reference model), learning rate and reward (bench/grpo_step/parity_reward.py). Each
runs --steps steps; the first is dropped (allocators and caches warm up) and the rest averaged. spct runs
colocated (one process) and on 4 MPI ranks (orchestrator, rollout worker, reward worker, learner), with
grpo.share_prompts on (each prompt laid out once for its group in the learner's passes; docs/learner.md), off,
or both (--share-prompts). spct is stopped once its last step is logged, before its final checkpoint (TRL saves
none either).

Reported: seconds per step, samples (completions) per second, and the peak resident memory of every process
(VmHWM, polled every 0.1 s from /proc; TRL's from its own getrusage), and the spct / TRL ratios. TRL and spct's
colocated process run with the OpenMP wait policy --omp-wait (default: the short spin spct chooses where the node
has room, orchestrator/run/openmp_wait_policy.h); spct's 4-rank job chooses for itself, as it does for users.

Usage: bench/grpo_step/compare_trl.py [--build build] [--shape tiny|qwen0.5b] [--prompts 8] [--group 8]
         [--prompt-tokens 64] [--new-tokens 64] [--steps 4] [--threads 2] [--layouts colocated 4-rank]
         [--share-prompts on|off|both] [--model-dir DIR] [--dtype float32|bfloat16] [--omp-wait spin|passive]
         [--spct-set KEY=VALUE ...]
  --model-dir: keep the random model there (made once, reused by later runs of the same shape).
"""
import argparse
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
TOKENIZERS = HERE.parents[1].parent / "shared/data/tokenizers"

SHAPES = {
    # A small model with Llama 2's 32,000-token vocabulary (the tokenizer both sides use for it).
    "tiny": dict(tokenizer="llama2", vocab_size=32000, hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, intermediate_size=352, tie_word_embeddings=True),
    # Qwen2.5-0.5B's shape (random weights), with the Qwen tokenizer.
    "qwen0.5b": dict(tokenizer="qwen3", vocab_size=151936, hidden_size=896, num_hidden_layers=24,
                     num_attention_heads=14, num_key_value_heads=2, intermediate_size=4864, tie_word_embeddings=True),
}


def make_model(shape, path):
    import torch
    import transformers
    fields = dict(SHAPES[shape])
    tokenizer = fields.pop("tokenizer")
    config = transformers.Qwen2Config(**fields, max_position_embeddings=4096, rope_theta=1000000.0,
                                      rms_norm_eps=1e-6, torch_dtype="float32")
    torch.manual_seed(1)
    transformers.Qwen2ForCausalLM(config).save_pretrained(path, safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TOKENIZERS / tokenizer / name, path / name)


def make_prompts(path, count, tokens):
    """Random prompts of about `tokens` tokens: decoded random ids of the model's own tokenizer."""
    import tokenizers
    tok = tokenizers.Tokenizer.from_file(str(path / "tokenizer.json"))
    rng = random.Random(1)
    vocab = tok.get_vocab_size()
    prompts = [tok.decode([rng.randrange(1000, vocab) for _ in range(tokens)]) for _ in range(count)]
    with open(path / "prompts.jsonl", "w") as f:
        for i, p in enumerate(prompts):
            f.write(json.dumps({"id": i, "prompt": p, "answer": "0"}) + "\n")
    return prompts


class PeakMemory:
    """Polls VmHWM (peak resident set) of every process whose command line holds `marker`, keyed by pid."""

    def __init__(self, marker):
        self.marker, self.peaks, self.names = marker, {}, {}

    def poll(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
                if self.marker not in cmdline or "spct" not in cmdline.split(" ")[0]:
                    continue
                status = open(f"/proc/{pid}/status").read()
                hwm = int(status.split("VmHWM:")[1].split()[0]) / 1024
                environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
                rank = next((e.split(b"=")[1].decode() for e in environ if e.startswith(b"OMPI_COMM_WORLD_RANK=")),
                            None)
            except (OSError, IndexError, ValueError):
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
            self.names[pid] = f"rank {rank}" if rank is not None else "launcher"


def run_spct(args, model_dir, work, layout, share):
    name = f"spct-{layout}" + ("-shared" if share else "")
    binary = pathlib.Path(args.build).resolve() / "orchestrator/spct"
    layout_args = (["layout.colocate=true"] if layout == "colocated" else
                   ["layout.rollout_workers=1", "layout.reward_workers=1", "layout.learners=1"])
    cmd = [str(binary), "train", f"run.dir={work}", f"run.name={name}", f"run.steps={args.steps}",
           "sft.warmup_steps=0", f"model.path={model_dir}", f"model.dtype={args.dtype}", "tokenizer.kind=hf",
           "data.task=", f"data.path={model_dir / 'prompts.jsonl'}", "data.max_prompt_tokens=1024",
           "data.shuffle=false", f"rollout.group_size={args.group}", f"rollout.prompts_per_step={args.prompts}",
           f"rollout.max_new_tokens={args.new_tokens}", "rollout.temperature=1",
           f'reward.functions=["parity=command:python3 {HERE / "parity_reward.py"}"]', "grpo.beta=0.04",
           "grpo.lr=1e-6", f"run.threads={args.threads}", "observe.progress=lines", "observe.tensorboard=false",
           "observe.rollout_log_every=0", *(["grpo.share_prompts=true"] if share else []), *layout_args,
           *args.spct_set]
    memory = PeakMemory(f"run.name={name}")
    metrics = work / name / "metrics.jsonl"
    start = time.perf_counter()
    stopped = False
    with open(work / f"{name}.log", "w") as log:
        # Its own session, so that stopping it reaches mpirun and the ranks too.
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=spct_environment(args.omp_wait, layout))
        while proc.poll() is None:
            memory.poll()
            if metrics.exists() and sum(1 for _ in open(metrics)) >= args.steps:
                # The last step is logged: stop before the final checkpoint (optimizer state and weights, 6 GB at
                # the 0.5B shape), which is no part of a step. SIGKILL: a stop signal would write that checkpoint.
                os.killpg(proc.pid, signal.SIGKILL)
                for pid in memory.peaks:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.wait()
                stopped = True
                break
            time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.returncode != 0 and not stopped:
        sys.exit(f"spct ({layout}) failed with exit {proc.returncode}:\n" +
                 "".join(open(work / f"{name}.log").readlines()[-30:]))
    rows = [json.loads(line) for line in open(work / name / "metrics.jsonl")][1:]
    step = sum(r["time/step_s"] for r in rows) / len(rows)
    peaks = {}
    for pid, mb in memory.peaks.items():
        peaks[memory.names[pid]] = max(peaks.get(memory.names[pid], 0), mb)
    waits = [line.split("OpenMP waits", 1)[1].split(": ", 1)[1].strip() for line in open(work / f"{name}.log")
             if "OpenMP waits" in line]
    print(f"{name}: OpenMP waits: {waits[0] if waits else 'not logged'}", flush=True)
    return dict(side=f"spct {layout}" + (", share_prompts" if share else ""), step_s=step,
                steps=[r["time/step_s"] for r in rows], wall_s=wall, peaks=peaks,
                phases={k: sum(r.get(f"time/{k}_s", 0) for r in rows) / len(rows)
                        for k in ("generate", "reward", "learn", "sync")})


def trl_child(args, model_dir, out):
    """Runs in its own process, so that its peak memory is TRL's alone."""
    import datasets
    import torch
    import transformers
    import trl
    sys.path.insert(0, str(HERE))
    from parity_reward import score
    torch.set_num_threads(args.threads)
    prompts = [json.loads(line)["prompt"] for line in open(model_dir / "prompts.jsonl")]
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    times = []

    class StepTimer(transformers.TrainerCallback):
        def on_step_begin(self, *_, **__):
            self.start = time.perf_counter()

        def on_step_end(self, *_, **__):
            times.append(time.perf_counter() - self.start)

    config = trl.GRPOConfig(
        output_dir=str(out.parent / "trl-out"), per_device_train_batch_size=args.prompts * args.group,
        num_generations=args.group, max_completion_length=args.new_tokens, max_steps=args.steps,
        learning_rate=1e-6, beta=0.04, temperature=1.0, use_cpu=True, bf16=args.dtype == "bfloat16", report_to="none",
        save_strategy="no", logging_steps=1, seed=1, dataloader_num_workers=0, shuffle_dataset=False)
    trainer = trl.GRPOTrainer(
        model=str(model_dir), processing_class=tokenizer, args=config, callbacks=[StepTimer()],
        reward_funcs=[lambda completions, **_: [score(c) for c in completions]],
        train_dataset=datasets.Dataset.from_dict({"prompt": prompts}))
    trainer.train()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(dict(times=times, peak_mb=peak), open(out, "w"))


WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "SPCT_OPENMP_WAIT", "SPCT_OPENMP_WAIT_CHOICE")
SHORT_SPIN_COUNT = 5000  # run::kShortSpinCount (orchestrator/run/openmp_wait_policy.h)


def without_wait_variables():
    return {k: v for k, v in os.environ.items() if k not in WAIT_VARIABLES}


def spct_environment(policy, layout):
    """The colocated process gets --omp-wait through SPCT_OPENMP_WAIT (its automatic choice would read the load
    average, which still counts the side run just before it); the 4-rank job chooses for itself, as for users
    (passive here: 4 ranks on 2 CPUs)."""
    env = without_wait_variables()
    if layout == "colocated":
        env["SPCT_OPENMP_WAIT"] = policy
    return env


def trl_environment(policy):
    """TRL's: --omp-wait, as libgomp's variables."""
    env = without_wait_variables()
    env.update({"GOMP_SPINCOUNT": str(SHORT_SPIN_COUNT)} if policy == "spin" else {"OMP_WAIT_POLICY": "PASSIVE"})
    return env


def run_trl(args, model_dir, work):
    out = work / "trl.json"
    start = time.perf_counter()
    with open(work / "trl.log", "w") as log:
        code = subprocess.call([sys.executable, __file__, "--trl-child", str(model_dir), str(out),
                                *sys.argv[1:]], stdout=log, stderr=subprocess.STDOUT,
                               env=trl_environment(args.omp_wait))
    wall = time.perf_counter() - start
    if code != 0:
        sys.exit(f"TRL failed with exit {code}:\n" + "".join(open(work / "trl.log").readlines()[-30:]))
    result = json.load(open(out))
    times = result["times"][1:]
    return dict(side=f"TRL {__import__('trl').__version__} GRPOTrainer", step_s=sum(times) / len(times),
                steps=times, wall_s=wall, peaks={"process": result["peak_mb"]}, phases={})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-tokens", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layouts", nargs="+", default=["colocated", "4-rank"], choices=["colocated", "4-rank"])
    ap.add_argument("--share-prompts", default="on", choices=["on", "off", "both"])
    ap.add_argument("--model-dir", help="where the random model is kept (made when missing)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="bfloat16: spct's model.dtype (bf16 weights and compute, float32 masters and moments) and "
                         "TRL's bf16=True (its mixed precision: float32 weights, bf16 autocast)")
    ap.add_argument("--omp-wait", default="spin", choices=["spin", "passive"],
                    help="OpenMP wait policy of TRL and of spct's colocated process: spin (GOMP_SPINCOUNT=5000, "
                         "what spct chooses on a node with room) or passive; spct's 4-rank job chooses its own")
    ap.add_argument("--spct-set", action="append", default=[], metavar="KEY=VALUE",
                    help="one more config override for every spct run (repeatable), e.g. rollout.pack_weights=false")
    ap.add_argument("--trl-child", nargs=2, help=argparse.SUPPRESS)
    args, _ = ap.parse_known_args()
    if args.steps < 2:
        ap.error("--steps must be at least 2 (the first step is dropped)")
    if args.trl_child:
        trl_child(args, pathlib.Path(args.trl_child[0]), pathlib.Path(args.trl_child[1]))
        return 0
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    shares = {"on": [True], "off": [False], "both": [False, True]}[args.share_prompts]
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        model_dir = pathlib.Path(args.model_dir) if args.model_dir else work / "model"
        if not (model_dir / "model.safetensors").exists():
            make_model(args.shape, model_dir)
        make_prompts(model_dir, args.prompts * args.steps, args.prompt_tokens)
        rows = [run_trl(args, model_dir, work)] + [run_spct(args, model_dir, work, layout, share)
                                                   for layout in args.layouts for share in shares]
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
    samples = args.prompts * args.group
    print(f"\nGRPO step, shape {args.shape}, {args.prompts} prompts x {args.group} samples, prompt ~{args.prompt_tokens}"
          f" tokens, {args.new_tokens} new tokens, {args.threads} threads, {args.dtype}, beta 0.04, mean of steps 2-{args.steps}")
    print("| side | s/step | samples/s | vs TRL | peak RSS per process (MB) | generate / reward / learn / sync s |")
    print("|---|---|---|---|---|---|")
    trl_rate = samples / rows[0]["step_s"]
    for r in rows:
        rate = samples / r["step_s"]
        peaks = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["peaks"].items()))
        phases = " / ".join(f"{r['phases'][k]:.2f}" for k in ("generate", "reward", "learn", "sync")
                            if k in r["phases"]) or "-"
        print(f"| {r['side']} | {r['step_s']:.2f} | {rate:.1f} | {rate / trl_rate:.2f}x | {peaks} | {phases} |")
    # Each step's seconds (from step 2): how steady each side is, and whether the mean still holds warm-up.
    for r in rows:
        print(f"{r['side']}: steps 2-{args.steps} took " + ", ".join(f"{t:.2f}" for t in r["steps"]) + " s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
