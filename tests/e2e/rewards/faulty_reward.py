#!/usr/bin/env python3
"""A command reward that misbehaves on purpose, for the failure-policy tests (command_faults.sh).

Scores like examples/rewards/math_answer.py, and:
  --exit-after N      exits (status 3) on receiving its N+1-th request (every process it is restarted as, too)
  --hang-step S       never answers the groups of training step S whose prompt_id is a multiple of --hang-every
  --garbage-step S    answers the groups of step S with a line that is not JSON
Every request is also noted on stderr, so that the test can find the forwarded lines in spct's log.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../examples/rewards"))
from math_answer import correct, extract  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--exit-after", type=int, default=-1)
parser.add_argument("--hang-step", type=int, default=-1)
parser.add_argument("--hang-every", type=int, default=8)
parser.add_argument("--garbage-step", type=int, default=-1)
args = parser.parse_args()

for count, line in enumerate(sys.stdin):
    request = json.loads(line)
    meta = request["metadata"]
    print(f"faulty_reward pid {os.getpid()} request {count} step {meta['step']} prompt {meta['prompt_id']}",
          file=sys.stderr, flush=True)
    if count == args.exit_after:
        sys.exit(3)
    if meta["step"] == args.hang_step and meta["prompt_id"] % args.hang_every == 0:
        time.sleep(3600)
    if meta["step"] == args.garbage_step:
        print("this is not json", flush=True)
        continue
    scores = [1.0 if correct(extract(c), request["answer"]) else 0.0 for c in request["completions"]]
    print(json.dumps({"scores": scores}), flush=True)
