#!/usr/bin/env python3
"""Counts lines of code: the hypervisor's size budget (DESIGN.md: under 15,000).

usage: scripts/sloc.py [--limit N] [--top N] [--json] [DIR ...]
  DIR        trees to count (default: hypervisor hypercall/include, the code
             that runs in ring 0)
  --limit N  exit 1 if the total is over N, saying by how much
  --top N    how many of the biggest files to list (default 15)
  --json     print {"total": N, "limit": N|null, "files": {path: lines}}

A line of code is a line of a .c, .h, .S, .ld, .lds, .def or .inc file that
is not blank and not only comment: /* */ and // comments are dropped, and in
assembly and linker scripts so are lines starting with '#' that are not
preprocessor directives. Paths are relative to the repository root.
Exit status: 0 within the limit (or no limit), 1 over it, 2 on bad usage.
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_DIRS = ["hypervisor", "hypercall/include"]
SUFFIXES = (".c", ".h", ".S", ".ld", ".lds", ".def", ".inc")
ASM_SUFFIXES = (".S", ".ld", ".lds")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
DIRECTIVE = re.compile(r"#\s*(include|define|if|ifdef|ifndef|elif|else|endif|undef|error)\b")


def count_text(text, asm=False):
    """Lines of code in one file's text."""
    # A comment becomes as many newlines as it spanned, so line structure stays.
    text = BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    n = 0
    for line in text.split("\n"):
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        if asm and s.startswith("#") and not DIRECTIVE.match(s):
            continue
        n += 1
    return n


def count_tree(dirs, root=ROOT):
    """{path relative to root: lines of code} for every counted file below dirs."""
    counts = {}
    for d in dirs:
        top = os.path.join(root, d)
        if not os.path.isdir(top):
            raise FileNotFoundError(f"{d}: no such directory below {root}")
        for parent, _, files in os.walk(top):
            for name in files:
                if name.endswith(SUFFIXES):
                    path = os.path.join(parent, name)
                    with open(path, errors="replace") as f:
                        counts[os.path.relpath(path, root)] = count_text(
                            f.read(), name.endswith(ASM_SUFFIXES))
    return counts


def biggest(counts, top):
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def main():
    ap = argparse.ArgumentParser(description="Count the hypervisor's lines of code.")
    ap.add_argument("dirs", nargs="*", default=DEFAULT_DIRS, metavar="DIR")
    ap.add_argument("--limit", type=int, help="exit 1 if the total is over this")
    ap.add_argument("--top", type=int, default=15, help="biggest files listed (default 15)")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    opts = ap.parse_args()
    try:
        counts = count_tree(opts.dirs)
    except FileNotFoundError as e:
        print(f"sloc.py: {e}; give directories relative to the repository root",
              file=sys.stderr)
        return 2
    total = sum(counts.values())
    over = opts.limit is not None and total > opts.limit
    if opts.json:
        print(json.dumps({"total": total, "limit": opts.limit, "files": counts}, indent=1))
    else:
        for path, n in biggest(counts, opts.top):
            print(f"{n:6} {path}")
        print(f"{total:6} total in {len(counts)} files ({' '.join(opts.dirs)})")
        if over:
            print(f"over the limit of {opts.limit} by {total - opts.limit} lines")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
