#!/usr/bin/env python3
"""A math answer checker for spct's `command` reward kind (docs/rewards.md). Standard library only.

Reads one JSON request per line on stdin:
    {"prompt": str, "completions": [str], "answer": str, "metadata": {...}}
and writes one JSON line per request on stdout:
    {"scores": [1.0 or 0.0 per completion], "info": [{"extracted": str or null} per completion]}

The answer of a completion is, in this order: the last \\boxed{...}; the text after a GSM8K-style "####"; the first
line. It is correct when it equals the reference as a number (fractions, decimals, thousands separators and a
leading "$" allowed) or, failing that, as text with spaces removed.

Run it by hand:  echo '{"prompt":"2+2=","completions":["4","5"],"answer":"4"}' | python3 math_answer.py
In a config:     reward: {functions: ["math=command:python3 examples/rewards/math_answer.py"]}
"""
import json
import re
import sys
from fractions import Fraction


def last_boxed(text):
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    return None


def extract(completion):
    boxed = last_boxed(completion)
    if boxed is not None:
        return boxed.strip()
    if "####" in completion:
        return completion.split("####")[-1].strip().splitlines()[0] if completion.split("####")[-1].strip() else ""
    lines = completion.strip().splitlines()
    return lines[0].strip() if lines else None


def as_number(text):
    text = text.strip().lstrip("$").replace(",", "").rstrip(".")
    frac = re.fullmatch(r"\\frac\{(-?\d+)\}\{(-?\d+)\}", text)
    if frac:
        text = f"{frac.group(1)}/{frac.group(2)}"
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def correct(extracted, reference):
    if extracted is None:
        return False
    a, b = as_number(extracted), as_number(reference)
    if a is not None and b is not None:
        return a == b
    return re.sub(r"\s+", "", extracted) == re.sub(r"\s+", "", reference)


def main():
    for line in sys.stdin:
        request = json.loads(line)
        reference = request.get("answer", "")
        extracted = [extract(c) for c in request["completions"]]
        scores = [1.0 if correct(e, reference) else 0.0 for e in extracted]
        print(json.dumps({"scores": scores, "info": [{"extracted": e} for e in extracted]}), flush=True)


if __name__ == "__main__":
    main()
