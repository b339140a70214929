#!/usr/bin/env python3
"""Keeps docs/troubleshooting.md true to the sources.

1. Every message quoted in the page still occurs in a source file. The checked quotes are the code spans in the
   first column of each table whose header cell reads "message". A span is split at its placeholders (<key>,
   <file>, ...: angle brackets around lower-case words); every remaining piece with at least three letters or
   digits must occur in the C++ sources, the job script template or the user-facing scripts, read with adjacent
   string literals joined and \\" unescaped, as the compiler sees them. Each row must have at least one such
   piece of 8 or more characters, so that no row goes unchecked.
2. Every exit code of core/exit_codes.h has a row "| <code> |" in the page's exit code table.

Usage: troubleshooting_test.py [SOURCE_DIR] (default: $SPCT_SOURCE_DIR, else the repository of this file).
Prints each failure and exits 1 when there is one.
"""
import glob
import os
import re
import sys

SOURCE_DIRS = ("core", "orchestrator", "workers", "learner", "models", "distributed")
SCRIPT_PATTERNS = ("scripts/*.sh", "slurm/*.in")
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9 _./|-]*>")
CODE_SPAN = re.compile(r"`([^`]+)`")
MIN_PIECE_CHARS = 3    # letters or digits a piece needs to be checked
MIN_ANCHOR_LENGTH = 8  # every row needs one checked piece at least this long


def source_corpus(root):
    """The sources as one text, string literals joined as the compiler joins them."""
    paths = [p for pattern in SCRIPT_PATTERNS for p in glob.glob(os.path.join(root, pattern))]
    for top in SOURCE_DIRS:
        for directory, _, names in os.walk(os.path.join(root, top)):
            paths += [os.path.join(directory, n) for n in names if n.endswith((".cpp", ".h", ".in"))]
    texts = []
    for path in sorted(paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        text = re.sub(r'"\s*\n\s*"', "", text)  # "abc "\n    "def" -> "abc def"
        texts.append(text.replace('\\"', '"').replace("\\\\", "\\"))
    return "\n".join(texts)


def table_rows(page):
    """(line number, first cell) of every body row of the tables whose header's first cell is "message"."""
    rows = []
    in_table = False
    lines = page.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if not in_table:
            previous = lines[number - 2] if number >= 2 else ""
            if not previous.startswith("|") and cells and cells[0].lower() == "message":
                in_table = True
            continue
        if cells and not re.fullmatch(r":?-+:?", cells[0]):
            rows.append((number, cells[0].replace("\\|", "|")))
    return rows


def check_messages(page, corpus):
    failures = []
    rows = table_rows(page)
    for number, cell in rows:
        spans = CODE_SPAN.findall(cell)
        if not spans:
            failures.append(f"docs/troubleshooting.md:{number}: a message row quotes no message: {cell}")
            continue
        anchored = False
        missing = False
        for span in spans:
            for piece in PLACEHOLDER.split(span):
                if sum(c.isalnum() for c in piece) < MIN_PIECE_CHARS:
                    continue
                if piece not in corpus:
                    missing = True
                    failures.append(f"docs/troubleshooting.md:{number}: no source file says \"{piece}\" any more "
                                    f"(quoted in `{span}`)")
                elif len(piece.strip()) >= MIN_ANCHOR_LENGTH:
                    anchored = True
        if not anchored and not missing:
            failures.append(f"docs/troubleshooting.md:{number}: no quoted piece of {MIN_ANCHOR_LENGTH}+ characters "
                            f"to check in {cell}")
    return failures, len(rows)


def check_exit_codes(page, root):
    with open(os.path.join(root, "core/exit_codes.h"), encoding="utf-8") as f:
        codes = re.findall(r"^\s*(k\w+)\s*=\s*(\d+)", f.read(), flags=re.M)
    failures = [f"docs/troubleshooting.md: exit code {value} ({name} in core/exit_codes.h) has no row '| {value} |'"
                for name, value in codes if not re.search(rf"^\| *{value} *\|", page, flags=re.M)]
    return failures, len(codes)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SPCT_SOURCE_DIR",
                                                                 os.path.join(here, "..", "..", ".."))
    with open(os.path.join(root, "docs/troubleshooting.md"), encoding="utf-8") as f:
        page = f.read()
    corpus = source_corpus(root)
    message_failures, rows = check_messages(page, corpus)
    code_failures, codes = check_exit_codes(page, root)
    failures = message_failures + code_failures
    for failure in failures:
        print("FAIL:", failure)
    if rows == 0:
        print("FAIL: docs/troubleshooting.md has no message tables")
        failures.append("no tables")
    print(f"{rows} messages and {codes} exit codes checked; {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
