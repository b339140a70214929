#!/usr/bin/env python3
"""A length and format rule for spct's `command` reward kind (docs/rewards.md). Standard library only.

Score of a completion = 1 when its first line matches --pattern (a Python regular expression matched against the
whole line), else 0; minus a linear penalty once the completion is longer than --max-chars characters, reaching
--penalty at twice that length.

In a config:
    reward:
      functions: [exact_match, "format=command:python3 examples/rewards/length_format.py --pattern '-?[0-9]+'"]
      weights: [1.0, 0.2]
"""
import argparse
import json
import re
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", default=r"\s*-?[0-9]+\s*", help="regex the first line must match in full")
    parser.add_argument("--max-chars", type=int, default=64, help="completions longer than this are penalised")
    parser.add_argument("--penalty", type=float, default=1.0, help="penalty at twice --max-chars and beyond")
    args = parser.parse_args()
    pattern = re.compile(args.pattern)
    for line in sys.stdin:
        request = json.loads(line)
        scores = []
        for completion in request["completions"]:
            first = completion.split("\n", 1)[0]
            score = 1.0 if pattern.fullmatch(first) else 0.0
            over = max(0, len(completion) - args.max_chars)
            score -= args.penalty * min(1.0, over / max(1, args.max_chars))
            scores.append(score)
        print(json.dumps({"scores": scores}), flush=True)


if __name__ == "__main__":
    main()
