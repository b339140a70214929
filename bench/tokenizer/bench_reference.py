#!/usr/bin/env python3
"""Hugging Face tokenizers' encode and decode speed on the documents spct_bench_tokenizer wrote, on one thread,
for a like-for-like ratio with spct: the same documents, encoded one at a time, timed in CPU seconds.

Usage: build/bench/tokenizer/spct_bench_tokenizer --write-corpus /tmp/corpus.json 4
       .venv/bin/python bench/tokenizer/bench_reference.py /tmp/corpus.json TOKENIZER.json...
"""
import json
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402  (after the thread settings)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        documents = json.load(f)
    size = sum(len(d.encode("utf-8")) for d in documents)
    print(f"corpus: {len(documents)} documents, {size / 1e6:.2f} MB; tokenizers {tokenizers.__version__}")
    for path in sys.argv[2:]:
        start = time.perf_counter()
        tokenizer = tokenizers.Tokenizer.from_file(path)
        print(f"{path}\n  load: {time.perf_counter() - start:.2f} s")
        for name in ("cold", "warm"):
            cpu = time.process_time()
            encoded = [tokenizer.encode(d, add_special_tokens=False).ids for d in documents]
            cpu = time.process_time() - cpu
            tokens = sum(len(ids) for ids in encoded)
            print(f"  encode {name}: {size / 1e6 / cpu:.1f} MB/s, {tokens / 1e6 / cpu:.2f} M tokens/s per CPU second;"
                  f" {tokens} tokens")
        cpu = time.process_time()
        for ids in encoded:
            tokenizer.decode(ids, skip_special_tokens=False)
        print(f"  decode: {size / 1e6 / (time.process_time() - cpu):.1f} MB/s per CPU second")


if __name__ == "__main__":
    main()
