#!/usr/bin/env python3
"""Writes the tiny math dataset of configs/grpo_math_parquet.yaml: "Simplify 6/8." -> "\\frac{3}{4}".

The reference answers are LaTeX fractions (integers when the denominator cancels), so the math_match reward
must see that a policy's "3/4", "0.75" or "\\dfrac{3}{4}" is the same answer. Each split is written as JSONL
and, with pyarrow installed, as Parquet (same rows). Deterministic: rerunning it rewrites the same rows.
Usage: scripts/make_fractions_dataset.py [OUT_DIR] (default configs/data).
"""
import json
import math
import os
import random
import sys


def problems(rng, count, seen):
    out = []
    while len(out) < count:
        b = rng.randint(2, 9)
        a = rng.randint(1, 3 * b)
        k = rng.randint(2, 4)
        key = (a * k, b * k)
        if key in seen:
            continue
        seen.add(key)
        g = math.gcd(a, b)
        n, d = a // g, b // g
        answer = str(n) if d == 1 else f"\\frac{{{n}}}{{{d}}}"
        out.append({"id": f"frac-{a * k}-{b * k}", "prompt": f"Simplify {a * k}/{b * k}.", "answer": answer})
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "configs", "data")
    rng = random.Random(7)
    seen = set()
    splits = {"fractions_eval.jsonl": problems(rng, 32, seen), "fractions_train.jsonl": problems(rng, 160, seen)}
    for name, items in splits.items():
        with open(os.path.join(out_dir, name), "w") as f:
            for item in items:
                f.write(json.dumps(item) + "\n")
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            continue
        table = pa.table({key: [item[key] for item in items] for key in ("id", "prompt", "answer")})
        pq.write_table(table, os.path.join(out_dir, name.replace(".jsonl", ".parquet")))


if __name__ == "__main__":
    main()
