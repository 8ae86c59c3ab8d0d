#!/usr/bin/env python3
"""The pvdrivers suite: the PV block backend and its library beyond the host tests of the
cli suite (tests/cli/test_pvback.c, test_blkback_request.c).

1. A short libFuzzer run of tests/fuzz/fuzz_blkback_request.c (blkback's ring consumer and
   request decoder against a hostile frontend), when clang is there; longer sessions:
   tests/pvdrivers/run.py --fuzz-seconds 600 --no-live.
2. tests/pvdrivers/live.py: mica-blkback on a live dom0 under QEMU, with Linux guests and
   libpv guests (4-8 minutes).

Ends with `N passed, N failed`.

usage: tests/pvdrivers/run.py [--fuzz-seconds S] [--no-live]
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "pvdrivers" / "fuzz"
FUZZ_SOURCES = ["tests/fuzz/fuzz_blkback_request.c", "pvdrivers/lib/ring.c",
                "pvdrivers/blkback/request.c"]
FUZZ_FLAGS = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer", "-Wall", "-Wextra",
              "-Werror", "-Wmissing-prototypes", "-Wshadow", "-D_GNU_SOURCE",
              "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
              "-Ihypercall/include", "-Ipvdrivers/include", "-Ipvdrivers/lib/include",
              "-Ipvdrivers/blkback"]


def fuzz(seconds):
    """Builds and runs the blkback fuzz target; returns (passed, failed)."""
    name = "fuzz_blkback_request"
    cc = shutil.which("clang")
    if not cc:
        print("FAIL %s: clang not found (make setup installs it)" % name)
        return 0, 1
    OUT.mkdir(parents=True, exist_ok=True)
    exe = OUT / name
    p = subprocess.run([cc] + FUZZ_FLAGS + FUZZ_SOURCES + ["-o", str(exe)], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        print("FAIL %s: does not build\n%s" % (name, p.stderr[-3000:]))
        return 0, 1
    corpus = OUT / "corpus"
    corpus.mkdir(exist_ok=True)
    artifacts = OUT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    p = subprocess.run([str(exe), "-max_total_time=%d" % seconds, "-timeout=10",
                        "-artifact_prefix=%s/" % artifacts, str(corpus)], cwd=ROOT,
                       capture_output=True, text=True, timeout=seconds + 120)
    if p.returncode:
        print("FAIL %s: a crash or sanitizer report; input in %s\n%s"
              % (name, artifacts, p.stderr[-3000:]))
        return 0, 1
    runs = [l for l in p.stderr.splitlines() if "Done" in l]
    print("PASS %s (%ds: %s)" % (name, seconds, runs[-1].strip() if runs else "ran"))
    return 1, 0


def main():
    ap = argparse.ArgumentParser(description="The PV block backend's fuzz and live tests.")
    ap.add_argument("--fuzz-seconds", type=int, default=10)
    ap.add_argument("--no-live", action="store_true", help="skip the QEMU boot")
    args = ap.parse_args()
    passed, failed = fuzz(args.fuzz_seconds) if args.fuzz_seconds > 0 else (0, 0)
    if not args.no_live:
        p = subprocess.run([sys.executable, str(ROOT / "tests" / "pvdrivers" / "live.py")],
                           cwd=ROOT, capture_output=True, text=True)
        out = p.stdout + p.stderr
        sys.stdout.write(out)
        last = [l for l in out.splitlines() if l.endswith(" failed")]
        if last:
            words = last[-1].split()
            passed += int(words[0])
            failed += int(words[2])
        if p.returncode and (not last or not int(last[-1].split()[2])):
            print("FAIL blk_live: live.py exited with status %d" % p.returncode)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
