#!/usr/bin/env python3
"""The Debian packages scripts/gpu-check.sh carries: the dependency closure of the given packages over Depends and
Pre-Depends, taking the first alternative of each "a | b" group (the one apt installs by default), and leaving out
packages of priority required or important and the C/C++ toolchain, which the GPU machine has itself.

Usage: gpu_check_closure.py PACKAGE... [--without PACKAGE...] (prints one package per line). --without leaves
those packages (and what only they need) out: optional plugins and programs a single-node check never runs.
"""
import re
import subprocess
import sys

TOOLCHAIN = re.compile(r"^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libgcc-s1|libstdc\+\+6|libstdc\+\+-\d+-dev|"
                       r"gcc(-\d+)?(-base)?|g\+\+(-\d+)?|cpp(-\d+)?|libgcc-\d+-dev|binutils.*|libcrypt.*|"
                       r"gfortran.*|libgfortran.*|perl|perl-base|perl-modules.*|libperl.*|python3.*|libpython3.*)$")


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def first_alternatives(packages):
    """package -> its Depends/Pre-Depends, first alternative of each group."""
    out, current, in_group = {}, None, False
    for line in run("apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                    "--no-replaces", "--no-enhances", *packages).splitlines():
        if not line.startswith(" "):
            current = line.strip()
            out.setdefault(current, [])
            in_group = False
            continue
        m = re.match(r"\s*(\|?)(Pre)?Depends: <?([^>\s]+)>?", line)
        if not m:
            continue
        if not in_group:  # the first member of a group, or a lone dependency
            out[current].append(m.group(3))
        in_group = m.group(1) == "|"
    return out


def priorities(packages):
    """package -> Priority, for the packages that exist (virtual ones have no entry)."""
    text = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages], capture_output=True,
                          text=True).stdout
    out = {}
    for block in text.split("\n\n"):
        name = re.search(r"^Package: (\S+)", block, re.M)
        prio = re.search(r"^Priority: (\S+)", block, re.M)
        if name:
            out[name.group(1)] = prio.group(1) if prio else "optional"
    return out


def main():
    args = sys.argv[1:]
    without = set(args[args.index("--without") + 1:]) if "--without" in args else set()
    seeds = args[:args.index("--without")] if "--without" in args else args
    seen, frontier = set(without), list(seeds)
    while frontier:
        deps = first_alternatives(frontier)
        prio = priorities(list(deps))
        keep = [p for p in deps if p in prio and prio[p] not in ("required", "important") and not TOOLCHAIN.match(p)]
        seen.update(keep)
        frontier = sorted({d for p in keep for d in deps[p]} - seen)
    print("\n".join(sorted(seen - without)))


if __name__ == "__main__":
    main()
