"""The reference for spct's chat template rendering: transformers' own apply_chat_template(tokenize=False), with
each tokenizer loaded by AutoTokenizer from a local directory (offline: nothing is downloaded), and for single
templates the Jinja environment transformers renders chat templates in.

Reads a JSON request on stdin:
  {"cases": [{"tokenizer": DIR, "messages": [...], "add_generation_prompt": bool, "extra": {...}}
             or {"template": SOURCE, "variables": {...}}, ...]}
and writes one JSON answer on stdout:
  {"transformers": VERSION, "results": [{"text": ...} or {"error": TYPE, "message": ...}, ...]}
"extra" holds further template variables (tools, enable_thinking). An error names the exception apply_chat_template
raised: "TemplateError" for raise_exception() in the template, "UndefinedError" and "TypeError" for templates that
fail on the input, "ValueError" for a tokenizer without a template.
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import jinja2  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from transformers.utils.chat_template_utils import _compile_jinja_template  # noqa: E402


def main():
    request = json.load(sys.stdin)
    tokenizers = {}
    results = []
    for case in request["cases"]:
        if "template" in case:
            try:
                results.append({"text": _compile_jinja_template(case["template"]).render(**case["variables"])})
            except Exception as error:  # every failure is an answer: spct must fail on the same input
                results.append({"error": type(error).__name__, "message": str(error)})
            continue
        directory = case["tokenizer"]
        if directory not in tokenizers:
            tokenizers[directory] = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        tokenizer = tokenizers[directory]
        extra = case.get("extra", {})
        tools = extra.pop("tools", None)
        try:
            text = tokenizer.apply_chat_template(
                case["messages"],
                tools=tools,
                tokenize=False,
                add_generation_prompt=case["add_generation_prompt"],
                **extra,
            )
            results.append({"text": text})
        except (jinja2.exceptions.TemplateError, ValueError, TypeError) as error:
            results.append({"error": type(error).__name__, "message": str(error)})
    json.dump({"transformers": transformers.__version__, "results": results}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
