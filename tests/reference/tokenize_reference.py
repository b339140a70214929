#!/usr/bin/env python3
"""The tokenizer reference of the tests: Hugging Face's own `tokenizers` (PyPI, python/requirements-test.txt).

Reads one JSON request on stdin and writes one JSON answer on stdout:
  request  {"tokenizer": "<path of a tokenizer.json>", "texts": ["...", ...]}
  answer   {"tokenizers_version": "0.23.3",
            "ids":          [[...], ...]  encode(text, add_special_tokens=False)
            "ids_special":  [[...], ...]  encode(text, add_special_tokens=True): the post-processor's framing
            "decoded":      ["...", ...]  decode(ids, skip_special_tokens=False)
            "decoded_skip": ["...", ...]  decode(ids, skip_special_tokens=True)}
Runs on one thread (RAYON_NUM_THREADS=1), downloads nothing, and exits 1 with a message on stderr when the
request or the tokenizer file is bad. The caller bounds its run time (the tests run it under `timeout`).
"""
import json
import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402  (after the thread settings, which it reads on import)


def main():
    request = json.load(sys.stdin)
    tokenizer = tokenizers.Tokenizer.from_file(request["tokenizer"])
    answer = {"tokenizers_version": tokenizers.__version__, "ids": [], "ids_special": [], "decoded": [],
              "decoded_skip": []}
    for text in request["texts"]:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        answer["ids"].append(ids)
        answer["ids_special"].append(tokenizer.encode(text, add_special_tokens=True).ids)
        answer["decoded"].append(tokenizer.decode(ids, skip_special_tokens=False))
        answer["decoded_skip"].append(tokenizer.decode(ids, skip_special_tokens=True))
    json.dump(answer, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a clear one-line reason for the C++ test's failure message
        print(f"tokenize_reference: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
