#!/usr/bin/env python3
"""Runs the system tests: every test_* function in tests/system/test_*.py.

usage: tests/system/run.py [-k TEXT]... [-j JOBS] [-l]
  -k TEXT  run only tests whose name contains TEXT (several -k: any of them)
  -j JOBS  run this many tests at once (default 1, or $MICA_TEST_JOBS)
  -l       list the tests and exit

Prints PASS or FAIL per test (with the problems and the log of a failure)
and ends with the line `N passed, N failed`; exits non-zero on any failure.
Tests are named FILE.FUNCTION[PARAM] without the test_ prefixes, and each
boot's serial log is build/test-logs/<name>.log.
"""
import argparse
import concurrent.futures
import importlib
import os
import sys
import textwrap
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import systest  # noqa: E402


def short(name):
    return name[len("test_"):] if name.startswith("test_") else name


def collect():
    """Returns [(name, callable)] in file and definition order; a file that
    does not import becomes one failing test."""
    tests = []
    for path in sorted(HERE.glob("test_*.py")):
        modname = path.stem
        try:
            module = importlib.import_module(modname)
        except Exception:
            error = traceback.format_exc()

            def broken(t, error=error):
                raise systest.TestFailure(f"cannot import:\n{error}")
            tests.append((f"{short(modname)}.import", broken))
            continue
        for attr, fn in vars(module).items():
            if not attr.startswith("test_") or not callable(fn):
                continue
            if getattr(fn, "__module__", None) != modname:
                continue
            name = f"{short(modname)}.{short(attr)}"
            values = getattr(fn, "params", None)
            if values is None:
                tests.append((name, fn))
                continue
            for value in values:
                args = value if isinstance(value, tuple) else (value,)
                tests.append((f"{name}[{systest.param_name(value)}]",
                              lambda t, fn=fn, args=args: fn(t, *args)))
    return tests


def run_one(name, fn):
    """Runs one test; returns (name, passed, seconds, details)."""
    t = systest.Test(name)
    start = time.monotonic()
    try:
        fn(t)
        return name, True, time.monotonic() - start, ""
    except systest.TestFailure as e:
        details = e.details()
    except AssertionError as e:
        details = f"assertion failed: {e}" if str(e) else traceback.format_exc()
    except Exception:
        details = traceback.format_exc()
    if t.log_paths and "log:" not in details:
        details += "\n" + "\n".join(f"log: {p}" for p in t.log_paths)
    return name, False, time.monotonic() - start, details


def main():
    ap = argparse.ArgumentParser(description="Mica system tests")
    ap.add_argument("-k", action="append", default=[], metavar="TEXT")
    ap.add_argument("-j", type=int, default=int(os.environ.get("MICA_TEST_JOBS", "1")))
    ap.add_argument("-l", action="store_true")
    opts = ap.parse_args()

    tests = [(n, fn) for n, fn in collect() if not opts.k or any(k in n for k in opts.k)]
    if opts.l:
        for name, _ in tests:
            print(name)
        return 0
    os.chdir(systest.REPO)
    systest.LOG_DIR.mkdir(parents=True, exist_ok=True)

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.j)) as pool:
        futures = [pool.submit(run_one, name, fn) for name, fn in tests]
        for future in (concurrent.futures.as_completed(futures) if opts.j > 1 else futures):
            name, ok, seconds, details = future.result()
            print(f"{'PASS' if ok else 'FAIL'} {name} ({seconds:.1f}s)", flush=True)
            if ok:
                passed += 1
            else:
                failed += 1
                print(textwrap.indent(details.rstrip(), "  "), flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
