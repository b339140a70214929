#!/usr/bin/env python3
"""The reward of bench/grpo_step/compare_trl.py, for both sides: 1 when a completion has an even number of
characters, else 0. A random model's completions then score 0 and 1 about equally, so every group has reward
variance and both trainers do the full policy-gradient work (a constant reward would give zero advantages).

spct runs it as a `command` reward (JSON lines on stdin/stdout, docs/rewards.md); TRL imports `score`.
"""
import json
import sys


def score(completion):
    return 1.0 if len(completion) % 2 == 0 else 0.0


if __name__ == "__main__":
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"scores": [score(c) for c in request["completions"]]}), flush=True)
