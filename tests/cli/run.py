#!/usr/bin/env python3
"""Tests of the dom0 tools (libmica, the mica CLI, mica-consoled) on the host.

Two parts, one `N passed, N failed` line for both:

1. C tests: every tests/cli/test_*.c, built with sanitizers from the sources
   its comments name:

       /* tool-sources: dom0-tools/mica/config.c hypercall/libmica/xs_msg.c */
       /* hv-sources: hypervisor/arch/x86/pv/dom0_layout.c */

   tool-sources are user-space C, compiled as the tools are; hv-sources are
   the hypervisor's pure sources, compiled as tests/unit does (libc-clashing
   names renamed to mica_*, so they call the hypervisor's own string and
   formatting code). Tests use tests/unit/check.h: one PASS or FAIL line per
   case. Outputs go to build/cli/.

2. The real programs: `make tools` (static, as they go into dom0's
   initramfs), then command lines run against them with no hypervisor and
   no store (CASES below): help, usage errors, configuration errors, the
   dry run on a fabricated kernel (ELF, gzip bzImage), and what `list` says outside dom0.

3. tests/cli/live.py: the tools on a live dom0 under QEMU, Linux guests of our
   kernel and Debian's cloud kernel managed through their whole life (one boot,
   3-6 minutes under TCG). --no-live leaves it out; naming C tests does too.

usage: tests/cli/run.py [--cc CC] [-j N] [--no-live] [test_name ...]
"""
import argparse
import bz2
import concurrent.futures
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from casebin import run_case_binary  # noqa: E402
TEST_DIR = os.path.join("tests", "cli")
OUT = os.path.join("build", "cli")
TIMEOUT = 120

RENAMED = ["memset", "memcpy", "memmove", "memcmp", "strlen", "strnlen", "strcmp",
           "strncmp", "strchr", "strlcpy", "vsnprintf", "snprintf"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
COMMON = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer"] + SANITIZE + [
    "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Ihypercall/include", "-Ipvdrivers/include"]
TOOL_FLAGS = ["-D_GNU_SOURCE", "-Wmissing-prototypes", "-Ihypercall/libmica/include",
              "-Ihypercall/libmica", "-Ihypervisor/include", "-Idom0-tools/mica", "-Idom0-tools/kernel_image",
              "-Idom0-tools/consoled", "-Ipvdrivers/lib/include", "-Ipvdrivers/lib",
              "-Ipvdrivers/blkback", "-Ipvdrivers/netback", "-Ipvdrivers/rngback", "-Itests/unit", "-I" + TEST_DIR]
HV_FLAGS = ["-Wno-unused-parameter", "-Wno-maybe-uninitialized", "-fno-builtin",
            "-Ihypervisor/include"] + ["-D%s=mica_%s" % (n, n) for n in RENAMED]


def sources_of(path, tag):
    srcs = []
    with open(path) as f:
        for line in f:
            m = re.search(tag + r":\s*(.*?)\s*(\*/)?\s*$", line)
            if m:
                srcs += m.group(1).split()
    return srcs


def compile_one(cc, src, obj, flags):
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    cmd = [cc] + COMMON + flags + ["-c", src, "-o", obj]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return src, p.returncode, (" ".join(cmd) + "\n" + p.stdout + p.stderr) if p.returncode else ""


def run_test(name, exe):
    env = dict(os.environ, MICA_NO_MONITOR="1", ASAN_OPTIONS="detect_leaks=1")
    return run_case_binary(name, [exe], TIMEOUT, env=env, cwd=ROOT)


def c_tests(cc, jobs, only):
    tests = sorted(f[:-2] for f in os.listdir(TEST_DIR)
                   if f.startswith("test_") and f.endswith(".c"))
    if only:
        unknown = [t for t in only if t not in tests]
        if unknown:
            sys.exit("unknown test(s) %s; there are: %s" % (", ".join(unknown), ", ".join(tests)))
        tests = only
    tool = {t: sources_of(os.path.join(TEST_DIR, t + ".c"), "tool-sources") for t in tests}
    hv = {t: sources_of(os.path.join(TEST_DIR, t + ".c"), "hv-sources") for t in tests}
    for s in sorted({s for t in tests for s in tool[t] + hv[t]}):
        if not os.path.isfile(s):
            sys.exit("a sources comment names %s, which does not exist" % s)
    obj = lambda kind, s: os.path.join(OUT, kind, s + ".o")
    work = [(s, obj("tool", s), TOOL_FLAGS) for s in sorted({s for t in tests for s in tool[t]})]
    work += [(s, obj("hv", s), HV_FLAGS) for s in sorted({s for t in tests for s in hv[t]})]
    work += [(os.path.join(TEST_DIR, t + ".c"), obj("tests", t + ".c"), TOOL_FLAGS)
             for t in tests]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda w: compile_one(cc, *w), work))
    broken = {src: log for src, rc, log in results if rc}

    passed = failed = 0
    built = {}
    for t in tests:
        deps = [os.path.join(TEST_DIR, t + ".c")] + tool[t] + hv[t]
        bad = [d for d in deps if d in broken]
        if bad:
            print("".join(broken[d] for d in bad), end="")
            print("FAIL %s: does not build (%s)" % (t, ", ".join(bad)))
            failed += 1
            continue
        exe = os.path.join(OUT, t)
        objs = ([obj("tests", t + ".c")] + [obj("tool", s) for s in tool[t]] +
                [obj("hv", s) for s in hv[t]])
        p = subprocess.run([cc] + SANITIZE + ["-o", exe] + objs, capture_output=True, text=True)
        if p.returncode:
            print(p.stdout + p.stderr, end="")
            print("FAIL %s: does not link" % t)
            failed += 1
            continue
        built[t] = exe
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        runs = dict(zip(built, pool.map(lambda t: run_test(t, built[t]), built)))
    for t in built:
        p, f, lines = runs[t]
        print("== %s" % t)
        for l in lines:
            print(l)
        passed += p
        failed += f
    return passed, failed


# -- the real programs ------------------------------------------------------------------------

def fab_kernel(path, hypercall_page=False):
    """A tiny 64-bit Xen PV ELF kernel: one PT_LOAD at pseudo-physical 16 MiB and Linux's
    notes (ENTRY, VIRT_BASE, PADDR_OFFSET, XEN_VERSION, GUEST_OS, LOADER, INIT_P2M,
    MOD_START_PFN)."""
    vbase, paddr, size = 0xFFFFFFFF80000000, 0x1000000, 0x3000
    notes = b""

    def note(ntype, desc):
        name = b"Xen\0"
        return (struct.pack("<III", len(name), len(desc), ntype) + name +
                desc + b"\0" * (-len(desc) % 4))
    notes += note(1, struct.pack("<Q", vbase + paddr + 0x100))
    notes += note(3, struct.pack("<Q", vbase))
    notes += note(4, struct.pack("<Q", 0))
    notes += note(5, b"xen-3.0\0")
    notes += note(6, b"linux\0")
    notes += note(8, b"generic\0")
    notes += note(15, struct.pack("<Q", 0x8000000000))
    notes += note(16, struct.pack("<I", 1))
    if hypercall_page:
        notes += note(2, struct.pack("<Q", vbase + paddr + 0x1000))
    phoff, note_off, data_off = 64, 64 + 2 * 56, 0x1000
    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
                       2, 62, 1, paddr, phoff, 0, 0, 64, 56, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 7, data_off, vbase + paddr, paddr, size, size + 0x1000,
                       0x1000)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), len(notes), 4)
    img = bytearray(ehdr + load + pnote + notes)
    img += b"\0" * (data_off - len(img))
    img += bytes((i * 7) & 0xFF for i in range(size))
    with open(path, "wb") as f:
        f.write(img)


def fab_bzimage(path, elf_path, compress):
    """A bzImage (boot protocol 2.15) around the ELF at elf_path, its payload made by
    compress(bytes). Only the fields a PV loader reads are set."""
    with open(elf_path, "rb") as f:
        elf = f.read()
    payload = compress(elf)
    if payload[:2] != b"\x1f\x8b":  # every compressor but gzip gets the size appended
        payload += struct.pack("<I", len(elf))
    setup = bytearray(5 * 512)
    setup[0x1F1] = 4
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    struct.pack_into("<4sH", setup, 0x202, b"HdrS", 0x020F)
    struct.pack_into("<II", setup, 0x248, 0, len(payload))
    with open(path, "wb") as f:
        f.write(bytes(setup) + payload)


# (name, argv after "mica", exit status, regex that stdout+stderr must match)
CASES = [
    ("help", ["--help"], 0, r"usage: mica \[-q\] COMMAND.*create .*vcpu-list"),
    ("version", ["--version"], 0, r"^mica \d"),
    ("no_command", [], 2, r"usage: mica"),
    ("unknown_command", ["frobnicate"], 2, r"no command 'frobnicate'"),
    ("help_create", ["create", "--help"], 0, r"usage: mica create .*--dry-run"),
    ("help_cmd", ["help", "shutdown"], 0, r"usage: mica shutdown .*--timeout"),
    ("create_no_file", ["create"], 2, r"mica create: no configuration file"),
    ("create_bad_option", ["create", "-z", "x.cfg"], 2, r"mica create: unknown option"),
    ("create_missing_cfg", ["create", "{tmp}/none.cfg"], 1,
     r"mica: {tmp}/none.cfg: cannot read the configuration file: No such file"),
    ("create_unknown_key", ["create", "-n", "{tmp}/unknown.cfg"], 1,
     r"mica: {tmp}/unknown.cfg:3: memroy: unknown setting; did you mean memory\?"),
    ("create_bad_value", ["create", "-n", "{tmp}/badvalue.cfg"], 1,
     r"{tmp}/badvalue.cfg:4: vcpus: expected a number of vCPUs, found \"two\""),
    ("create_missing_kernel", ["create", "-n", "{tmp}/nokernel.cfg"], 1,
     r"{tmp}/nokernel.cfg:2: kernel: /nonexistent/vmlinuz: No such file or directory"),
    ("create_dry_run", ["create", "-n", "{tmp}/good.cfg"], 0,
     r"good.cfg is good; mica would create:.*name      tiny.*store 0x1004, console 0x1005"),
    ("create_dry_run_json", ["create", "-n", "--json", "{tmp}/good.cfg"], 0,
     r"\"name\": \"tiny\".*\"store_pfn\": 4100.*\"p2m_va\": \"0x8000000000\""),
    ("create_gzip_bzimage", ["create", "-n", "{tmp}/gzip.cfg"], 0,
     r"kernel    {tmp}/kernel.gz \(bzImage \(gzip\), "),
    ("create_bzip2_bzimage", ["create", "-n", "{tmp}/bzip2.cfg"], 1,
     r"the bzImage is compressed with bzip2; mica accepts gzip, xz and lz4 bzImages"),
    ("create_too_small", ["create", "-n", "{tmp}/small.cfg"], 1,
     r"small.cfg:3: memory: 16 MiB is too small for this guest: .* need at least \d+ MiB"),
    ("list_outside_dom0", ["list"], 1, r"cannot open /dev/xen/privcmd.*run mica in dom0"),
    ("list_bad_option", ["list", "--bogus"], 2, r"mica list: unknown option"),
    ("shutdown_no_domain", ["shutdown"], 2, r"name one domain"),
    ("shutdown_bad_timeout", ["shutdown", "-w", "-t", "soon", "web"], 2, r"--timeout takes"),
    ("info_extra_arg", ["info", "now"], 2, r"no arguments expected"),
]

CONFIGS = {
    "good.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel"\nmemory = 32\nvcpus = 1\n',
    "small.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel"\nmemory = 16\n',
    "unknown.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel"\nmemroy = 64\n',
    "badvalue.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel"\nmemory = 64\nvcpus = "two"\n',
    "nokernel.cfg": 'name = "tiny"\nkernel = "/nonexistent/vmlinuz"\n',
    "gzip.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel.gz"\nmemory = 32\n',
    "bzip2.cfg": 'name = "tiny"\nkernel = "{tmp}/kernel.bz2"\nmemory = 32\n',
}


def program_tests():
    passed = failed = 0
    p = subprocess.run(["make", "--no-print-directory", "-s", "tools"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        print(p.stdout + p.stderr, end="")
        print("FAIL tools_build: make tools failed")
        return 0, 1
    print("PASS tools_build")
    passed += 1
    mica = os.path.join(ROOT, "build", "tools", "mica")
    for prog in (mica, os.path.join(ROOT, "build", "tools", "mica-consoled")):
        p = subprocess.run(["file", prog], capture_output=True, text=True) \
            if shutil.which("file") else None
        name = "static_" + os.path.basename(prog).replace("-", "_")
        if p and "statically linked" not in p.stdout:
            print("FAIL %s: %s is not statically linked: %s" % (name, prog, p.stdout.strip()))
            failed += 1
        else:
            print("PASS %s" % name)
            passed += 1
    with tempfile.TemporaryDirectory(prefix="mica-cli-") as tmp:
        fab_kernel(os.path.join(tmp, "kernel"))
        fab_bzimage(os.path.join(tmp, "kernel.gz"), os.path.join(tmp, "kernel"),
                    lambda b: gzip.compress(b, mtime=0))
        fab_bzimage(os.path.join(tmp, "kernel.bz2"), os.path.join(tmp, "kernel"), bz2.compress)
        for name, text in CONFIGS.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text.replace("{tmp}", tmp))
        env = dict(os.environ, XENSTORED_PATH=os.path.join(tmp, "no-store"),
                   MICA_NO_MONITOR="1")
        for name, args, status, pattern in CASES:
            argv = [mica] + [a.replace("{tmp}", tmp) for a in args]
            p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60,
                               stdin=subprocess.DEVNULL)
            out = p.stdout + p.stderr
            pat = pattern.replace("{tmp}", re.escape(tmp))
            if p.returncode != status:
                print("FAIL cli_%s: exit status %d, expected %d; output:\n%s"
                      % (name, p.returncode, status, out))
                failed += 1
            elif not re.search(pat, out, re.S):
                print("FAIL cli_%s: output does not match /%s/:\n%s" % (name, pat, out))
                failed += 1
            else:
                print("PASS cli_%s" % name)
                passed += 1
    return passed, failed


def default_cc():
    for cc in ("gcc", "clang"):
        if shutil.which(cc):
            return cc
    sys.exit("no host C compiler: install gcc (apt-get install gcc), or set CC")


def main():
    ap = argparse.ArgumentParser(description="Build and run the dom0 tools' tests.")
    ap.add_argument("--cc", default=os.environ.get("CC") or default_cc())
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-live", action="store_true",
                    help="leave out tests/cli/live.py (a live dom0 under QEMU, minutes)")
    ap.add_argument("tests", nargs="*", help="C test names to run (then no program tests)")
    args = ap.parse_args()
    os.chdir(ROOT)
    passed, failed = c_tests(args.cc, args.j, args.tests)
    if not args.tests:
        print("== programs")
        p, f = program_tests()
        passed += p
        failed += f
    if not args.no_live and not args.tests:
        print("== live", flush=True)
        p = subprocess.run([sys.executable, os.path.join(TEST_DIR, "live.py")], cwd=ROOT,
                           capture_output=True, text=True)
        print(p.stdout, end="")
        m = re.search(r"^(\d+) passed, (\d+) failed$", p.stdout, re.M)
        if m:
            passed += int(m.group(1))
            failed += int(m.group(2))
        if not m or p.returncode and not (m and int(m.group(2))):
            print(p.stderr[-3000:], end="")
            print("FAIL live: tests/cli/live.py ended with status %d" % p.returncode)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
