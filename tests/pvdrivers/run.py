#!/usr/bin/env python3
"""The pvdrivers suite: the PV block and network backends and their library beyond the host
tests of the cli suite (tests/cli/test_pvback.c, test_blkback_request.c, test_netif_parse.c).

1. A short libFuzzer run of each fuzz target, when clang is there:
   tests/fuzz/fuzz_blkback_request.c (blkback's ring consumer and request decoder) and
   tests/fuzz/fuzz_netback.c (netback's tx slot gathering, header parsing and rx planning),
   each against a hostile frontend; longer sessions:
   tests/pvdrivers/run.py --fuzz-seconds 600 --no-live.
2. tests/pvdrivers/live.py: mica-blkback on a live dom0 under QEMU, with Linux guests and
   libpv guests (4-8 minutes).
3. tests/pvdrivers/live_net.py: mica-netback on a live dom0 under QEMU, with Linux guests and
   a hostile libpv guest (6-10 minutes).
4. tests/pvdrivers/rng.py: the driver guide's worked example, mica-rngback serving a
   libpv guest that checks honest, bad and hostile requests (2-4 minutes).

Ends with `N passed, N failed`.

usage: tests/pvdrivers/run.py [--fuzz-seconds S] [--no-live] [--only blk|net|rng]
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "pvdrivers" / "fuzz"
# Each fuzz target and the sources it is built from.
FUZZ_TARGETS = {
    "fuzz_blkback_request": ["tests/fuzz/fuzz_blkback_request.c", "pvdrivers/lib/ring.c",
                             "pvdrivers/blkback/request.c"],
    "fuzz_netback": ["tests/fuzz/fuzz_netback.c", "pvdrivers/netback/netif_parse.c"],
}
# Each live test: its script and the prefix of its results.
LIVE_TESTS = {"blk": "tests/pvdrivers/live.py", "net": "tests/pvdrivers/live_net.py",
              "rng": "tests/pvdrivers/rng.py"}
FUZZ_FLAGS = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer", "-Wall", "-Wextra",
              "-Werror", "-Wmissing-prototypes", "-Wshadow", "-D_GNU_SOURCE",
              "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
              "-Ihypercall/include", "-Ipvdrivers/include", "-Ipvdrivers/lib/include",
              "-Ipvdrivers/blkback", "-Ipvdrivers/netback"]


def fuzz(name, sources, seconds):
    """Builds and runs one fuzz target; returns (passed, failed)."""
    cc = shutil.which("clang")
    if not cc:
        print("FAIL %s: clang not found (make setup installs it)" % name)
        return 0, 1
    OUT.mkdir(parents=True, exist_ok=True)
    exe = OUT / name
    p = subprocess.run([cc] + FUZZ_FLAGS + sources + ["-o", str(exe)], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        print("FAIL %s: does not build\n%s" % (name, p.stderr[-3000:]))
        return 0, 1
    corpus = OUT / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
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


def live(kind):
    """Runs one live test, passing its output through; returns (passed, failed)."""
    script = LIVE_TESTS[kind]
    p = subprocess.run([sys.executable, str(ROOT / script)], cwd=ROOT, capture_output=True,
                       text=True)
    out = p.stdout + p.stderr
    sys.stdout.write(out)
    passed = failed = 0
    last = [l for l in out.splitlines() if l.endswith(" failed")]
    if last:
        words = last[-1].split()
        passed, failed = int(words[0]), int(words[2])
    if p.returncode and not failed:
        print("FAIL %s_live: %s exited with status %d" % (kind, script, p.returncode))
        failed += 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description="The PV backends' fuzz and live tests.")
    ap.add_argument("--fuzz-seconds", type=int, default=10)
    ap.add_argument("--no-live", action="store_true", help="skip the QEMU boots")
    ap.add_argument("--only", choices=sorted(LIVE_TESTS), help="one backend's tests only")
    args = ap.parse_args()
    passed = failed = 0
    for name, sources in FUZZ_TARGETS.items():
        if args.fuzz_seconds > 0 and (not args.only or args.only in name):
            p, f = fuzz(name, sources, args.fuzz_seconds)
            passed, failed = passed + p, failed + f
    for kind in sorted(LIVE_TESTS):
        if not args.no_live and (not args.only or args.only == kind):
            p, f = live(kind)
            passed, failed = passed + p, failed + f
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
