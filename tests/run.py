#!/usr/bin/env python3
"""Runs every test suite and ends with one line `N passed, N failed` (all suites).

usage: tests/run.py [-k TEXT]... [SUITE...]
  SUITE    run only these suites (names below); default: all that exist
  -k TEXT  passed to the system tests: only tests whose name contains TEXT

Each suite is a runner of its own that prints its output and ends with its
own `N passed, N failed` line; this adds them up. A suite that exits non-zero
without reporting a failure, or reports no line at all, counts as one failure.
Exits non-zero if anything failed or no test ran. Run it after `make all iso`
(make test does both).
"""
import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COUNTS = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed\b")


def runner(*candidates):
    """The command for the first runner file that exists, or None."""
    for path in candidates:
        if (REPO / path).is_file():
            return ["python3" if path.endswith(".py") else "bash", path]
    return None


# name -> command (None while the suite does not exist yet). Later suites
# (fuzz) are added here.
def suites(k):
    system = runner("tests/system/run.py")
    bench = runner("tests/bench/run.py")
    return {
        "unit": runner("tests/unit/run.sh", "tests/unit/run.py"),
        "cli": runner("tests/cli/run.py"),
        "store": runner("xenstore-like/tests/run.py"),
        "system": system and system + [arg for t in k for arg in ("-k", t)],
        "conformance": runner("tests/conformance/run.py"),
        "pvdrivers": runner("tests/pvdrivers/run.py"),
        # The benchmarks' quick mode: checks that every row is produced, not the numbers.
        "bench": bench and bench + ["--quick", "--check"],
    }


def run_suite(name, cmd):
    """Runs one suite, passing its output through; returns (passed, failed)."""
    print(f"== {name}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    counts = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = COUNTS.match(line.strip())
        if m:
            counts = (int(m[1]), int(m[2]))
    status = proc.wait()
    seconds = time.monotonic() - start
    if counts is None:
        print(f"== {name}: ended with status {status} and no 'N passed, N failed' line; "
              "counted as 1 failure")
        return 0, 1
    passed, failed = counts
    if status and not failed:
        print(f"== {name}: exited with status {status} but reported no failure; "
              "counted as 1 failure")
        failed = 1
    print(f"== {name}: {passed} passed, {failed} failed ({seconds:.0f}s)", flush=True)
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description="Run Mica's test suites.")
    ap.add_argument("-k", action="append", default=[], metavar="TEXT")
    ap.add_argument("suite", nargs="*")
    opts = ap.parse_args()

    available = suites(opts.k)
    unknown = [s for s in opts.suite if s not in available]
    if unknown:
        ap.error(f"unknown suite {', '.join(unknown)} (suites: {', '.join(available)})")
    passed = failed = 0
    for name, cmd in available.items():
        if opts.suite and name not in opts.suite:
            continue
        if cmd is None:
            print(f"== {name}: not there yet, skipped")
            continue
        p, f = run_suite(name, cmd)
        passed += p
        failed += f
    if passed + failed == 0:
        print("no test ran")
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
