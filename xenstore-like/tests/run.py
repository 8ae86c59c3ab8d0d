#!/usr/bin/env python3
"""Builds and runs mica-store's tests; ends with "N passed, N failed".

  1. C unit tests, xenstore-like/tests/test_*.c: each is linked with every
     source of the daemon except main.c (ring_mem.c included), built with
     ASan and UBSan, and prints "PASS name" / "FAIL name: why" per case
     (tests/unit/check.h, as the hypervisor's unit tests).
  2. The daemon itself, built with the sanitizers, driven over its Unix
     socket by Debian's xenstore-utils and by a small wire-protocol client:
     xenstore-like/tests/test_*.py, one PASS/FAIL line per test function.
  3. A short run of each store fuzz target (tests/fuzz/fuzz_store_*.c) when
     clang's libFuzzer is there; tests/fuzz/store.sh runs them for longer.

Outputs go to build/store/test/. Exit status 1 if anything failed.

usage: xenstore-like/tests/run.py [--cc CC] [-j N] [--fuzz-seconds S] [-k TEXT] [NAME ...]
  NAME   run only these C tests (test_tree) or Python tests (interop.ls)
  -k     run only tests whose name contains TEXT
"""
import argparse
import concurrent.futures
import importlib.util
import os
import shutil
import subprocess
import sys
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from casebin import run_case_binary  # noqa: E402
SRC = os.path.join("xenstore-like")
TESTS = os.path.join(SRC, "tests")
OUT = os.path.join("build", "store", "test")
TIMEOUT = 300

FLAGS = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         "-Wall", "-Wextra", "-Werror", "-Wmissing-prototypes", "-Wshadow",
         "-Ihypercall/include", "-Ipvdrivers/include", "-I" + SRC, "-Itests/unit", "-I" + TESTS]


def default_cc():
    for cc in ("gcc", "clang"):
        if shutil.which(cc):
            return cc
    sys.exit("no host C compiler: install gcc (apt-get install gcc), or set CC")


def compile_one(cc, src, obj, extra=()):
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    cmd = [cc] + FLAGS + list(extra) + ["-c", src, "-o", obj]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, " ".join(cmd) + "\n" + p.stdout + p.stderr


def run_binary(name, exe):
    return run_case_binary(name, [exe], TIMEOUT)


def c_tests(cc, jobs, names, k):
    tests = sorted(f[:-2] for f in os.listdir(TESTS) if f.startswith("test_") and f.endswith(".c"))
    if names:
        tests = [t for t in tests if t in names]
    if k:
        tests = [t for t in tests if any(x in t for x in k)]
    if not tests:
        return 0, 0
    srcs = sorted(os.path.join(SRC, f) for f in os.listdir(SRC)
                  if f.endswith(".c") and f != "main.c")
    jobs_list = [(s, os.path.join(OUT, "obj", os.path.basename(s) + ".o")) for s in srcs]
    jobs_list += [(os.path.join(TESTS, t + ".c"), os.path.join(OUT, "obj", t + ".o"))
                  for t in tests]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda j: (j, compile_one(cc, *j)), jobs_list))
    broken = {j[0]: log for j, (rc, log) in results if rc}
    core_objs = [o for s, o in jobs_list if s in srcs]
    passed = failed = 0
    core_bad = [s for s in srcs if s in broken]
    built = {}
    for t in tests:
        src = os.path.join(TESTS, t + ".c")
        bad = core_bad + ([src] if src in broken else [])
        if bad:
            print("".join(broken[b] for b in bad), end="")
            print("FAIL %s: does not build (%s)" % (t, ", ".join(bad)))
            failed += 1
            continue
        exe = os.path.join(OUT, t)
        p = subprocess.run([cc, "-fsanitize=address,undefined", "-o", exe,
                            os.path.join(OUT, "obj", t + ".o")] + core_objs,
                           capture_output=True, text=True)
        if p.returncode:
            print(p.stdout + p.stderr, end="")
            print("FAIL %s: does not link" % t)
            failed += 1
            continue
        built[t] = exe
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        runs = dict(zip(built, pool.map(lambda t: run_binary(t, built[t]), built)))
    for t in built:
        p, f, lines = runs[t]
        print("== %s" % t)
        for l in lines:
            print(l)
        passed += p
        failed += f
    return passed, failed


def build_daemon(cc):
    """The daemon with the sanitizers, for the socket tests; (path, error)."""
    srcs = sorted(os.path.join(SRC, f) for f in os.listdir(SRC)
                  if f.endswith(".c") and f != "ring_mem.c")
    objs = []
    for s in srcs:
        o = os.path.join(OUT, "daemon", os.path.basename(s) + ".o")
        rc, log = compile_one(cc, s, o)
        if rc:
            return None, log
        objs.append(o)
    exe = os.path.join(OUT, "mica-store")
    p = subprocess.run([cc, "-fsanitize=address,undefined", "-o", exe] + objs,
                       capture_output=True, text=True)
    if p.returncode:
        return None, p.stdout + p.stderr
    return exe, ""


def py_tests(cc, names, k):
    files = sorted(f for f in os.listdir(TESTS) if f.startswith("test_") and f.endswith(".py"))
    sys.path.insert(0, os.path.join(ROOT, TESTS))
    import storetest  # noqa: E402  (the fixtures, next to this file)
    selected = []
    for f in files:
        mod_name = f[5:-3]
        spec = importlib.util.spec_from_file_location(mod_name, os.path.join(TESTS, f))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for fname in sorted(n for n in dir(mod) if n.startswith("test_")):
            name = "%s.%s" % (mod_name, fname[5:])
            if names and name not in names and mod_name not in names:
                continue
            if k and not any(x in name for x in k):
                continue
            selected.append((f, name, getattr(mod, fname)))
    if not selected:
        return 0, 0
    exe, log = build_daemon(cc)
    if not exe:
        print(log, end="")
        print("FAIL daemon: the sanitizer build of mica-store does not build")
        return 0, 1
    passed = failed = 0
    current = None
    for f, name, fn in selected:
        if f != current:
            print("== %s" % f)
            current = f
        env = storetest.Env(os.path.join(ROOT, exe), os.path.join(ROOT, OUT, "py", name))
        try:
            fn(env)
            env.finish()
            print("PASS %s" % name)
            passed += 1
        except storetest.Skip as e:
            env.finish(check=False)
            print("FAIL %s: %s" % (name, e))
            failed += 1
        except Exception as e:  # noqa: BLE001  (any failure is the test's)
            env.finish(check=False)
            for l in traceback.format_exc().splitlines()[-8:]:
                print("  " + l)
            for l in env.log_tail():
                print("  log: " + l)
            print("FAIL %s: %s" % (name, str(e).splitlines()[0] if str(e) else
                                    type(e).__name__))
            failed += 1
    return passed, failed


def fuzz_smoke(seconds):
    if seconds <= 0:
        return 0, 0
    script = os.path.join("tests", "fuzz", "store.sh")
    if not os.path.isfile(script):
        return 0, 0
    env = dict(os.environ, STORE_FUZZ_OUT=os.path.join(OUT, "fuzz"))
    p = subprocess.run(["bash", script, "-t", str(seconds)], capture_output=True, text=True,
                       env=env)
    passed = failed = 0
    for l in p.stdout.splitlines():
        if l.startswith("PASS "):
            passed += 1
            print(l)
        elif l.startswith("FAIL ") or l.startswith("  "):
            print(l)
            failed += l.startswith("FAIL ")
    if p.returncode and not failed:
        print(p.stdout[-2000:] + p.stderr[-2000:])
        print("FAIL fuzz: tests/fuzz/store.sh exited with status %d" % p.returncode)
        failed = 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description="Build and run mica-store's tests.")
    ap.add_argument("--cc", default=os.environ.get("CC") or default_cc())
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--fuzz-seconds", type=int, default=5,
                    help="seconds per fuzz target (0: skip; default 5)")
    ap.add_argument("-k", action="append", default=[])
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)
    p1, f1 = c_tests(args.cc, args.j, args.names, args.k)
    p2, f2 = py_tests(args.cc, args.names, args.k)
    p3, f3 = (0, 0) if (args.names or args.k) else fuzz_smoke(args.fuzz_seconds)
    passed, failed = p1 + p2 + p3, f1 + f2 + f3
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
