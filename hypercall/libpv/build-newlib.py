#!/usr/bin/env python3
"""Build newlib's libc.a and libm.a for libpv guests from Debian's newlib-source.

Inputs: the newlib tarball that the Debian package newlib-source installs under /usr/src/newlib/,
this script (it holds the configure options and compiler flags), and the version of the compiler.
A sha256 over them names the output directory ~/.cache/mica/newlib-<key>/, which holds
include/ (newlib's headers), lib/libc.a, lib/libm.a, build.log and, written last, a `ready`
stamp. When the stamp exists nothing is built. A failed build leaves its log beside that
directory as newlib-<key>.log.

The target is a freestanding x86_64 ELF PV kernel (hypercall/libpv): code linked in the top
2 GiB (-mcmodel=kernel, no PIC), no red zone (the hypervisor writes exception and event frames
right below the interrupted stack pointer), no stack protector. newlib's own system-call stubs
are left out: libpv supplies write, read, sbrk, _exit and the rest.

usage: build-newlib.py [--print-dir] [-j JOBS]
  --print-dir  print the output directory (built or not) and exit, building nothing
The last line printed on stdout is always the output directory; progress goes to stderr.
Set MICA_CACHE to use another cache directory than ~/.cache/mica.
"""

import argparse
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

PACKAGE = "newlib-source"
TARBALL_GLOB = "/usr/src/newlib/newlib-*.tar.*"
KEY_CHARS = 16          # hex digits of the sha256 used in the directory name
TARGET = "x86_64-elf"   # newlib's name for the target: selects libc/machine/x86_64
CLANG_TARGET = "x86_64-unknown-none-elf"

# Code generation for every object of the library; libpv and its guests use the same.
TARGET_CFLAGS = [
    "-O2", "-g", "-ffreestanding", "-fno-pic", "-mcmodel=kernel", "-mno-red-zone",
    "-fno-stack-protector", "-ffunction-sections", "-fdata-sections",
    "-Wno-everything",  # newlib's own warnings are not ours to fix
]

# What a tiny single-threaded PV kernel needs from newlib, and no more.
CONFIGURE_OPTIONS = [
    "--disable-multilib",                    # one library: x86_64, kernel code model
    "--disable-libgloss",                    # no board support: libpv is the "board"
    "--disable-newlib-supplied-syscalls",    # libpv provides the system calls
    "--disable-nls",
    "--enable-newlib-nano-malloc",           # small allocator over sbrk
    "--enable-newlib-reent-small",
    "--enable-lite-exit",
    "--enable-newlib-global-atexit",
    "--disable-newlib-fvwrite-in-streamio",
    "--disable-newlib-wide-orient",
    "--disable-newlib-unbuf-stream-opt",
    "--disable-newlib-multithread",          # one vCPU, no threads: no locks
]

START = time.monotonic()


class BuildError(Exception):
    """A failure the user can act on; the message says what to do."""


def say(msg):
    print("[%5.0fs] %s" % (time.monotonic() - START, msg), file=sys.stderr, flush=True)


def cache_root():
    return os.environ.get("MICA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mica")


def find_tarball():
    found = sorted(glob.glob(TARBALL_GLOB))
    if not found:
        raise BuildError("no newlib tarball matches %s: run make setup (or apt-get install %s)"
                         % (TARBALL_GLOB, PACKAGE))
    if len(found) > 1:
        raise BuildError("several newlib tarballs match %s (%s): remove all but one"
                         % (TARBALL_GLOB, ", ".join(found)))
    return found[0]


def tool_version(cmd):
    try:
        out = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
    except FileNotFoundError:
        raise BuildError("%s not found: run make setup" % cmd[0])
    return out.stdout.strip()


def build_key(tarball, compiler):
    """sha256 over everything that determines the result, each item framed by name and length."""
    h = hashlib.sha256()

    def feed(label, data):
        h.update(b"%s\0%d\0" % (label.encode(), len(data)))
        h.update(data)

    with open(tarball, "rb") as f:
        feed("tarball:" + os.path.basename(tarball), f.read())
    with open(os.path.abspath(__file__), "rb") as f:
        feed("build-newlib.py", f.read())
    feed("compiler", compiler.encode())
    return h.hexdigest()[:KEY_CHARS]


def run_logged(cmd, cwd, log, env=None):
    with open(log, "a") as f:
        f.write("\n$ %s\n" % " ".join(cmd))
        f.flush()
        proc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        raise BuildError("'%s' failed with status %d; see %s"
                         % (" ".join(cmd[:2]), proc.returncode, log))


def unpack(tarball, dest):
    """Unpacks the tarball into dest and returns its top-level source directory."""
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = os.path.normpath(member.name)
            if name.startswith("..") or os.path.isabs(name):
                raise BuildError("%s holds an unsafe path %s" % (tarball, member.name))
        tar.extractall(dest)
    tops = [d for d in os.listdir(dest) if os.path.isfile(os.path.join(dest, d, "configure"))]
    if len(tops) != 1 or not os.path.isdir(os.path.join(dest, tops[0], "newlib")):
        raise BuildError("%s does not look like a newlib source tree (top: %s)"
                         % (tarball, ", ".join(os.listdir(dest))))
    return os.path.join(dest, tops[0])


def build(tarball, out, jobs):
    """Configures, builds and installs newlib into out (which must not exist yet)."""
    parent = os.path.dirname(out)
    work = tempfile.mkdtemp(prefix=os.path.basename(out) + ".work.", dir=parent)
    log = os.path.join(work, "build.log")
    try:
        say("unpacking %s" % tarball)
        src = unpack(tarball, work)
        objdir = os.path.join(work, "build")
        prefix = os.path.join(work, "install")
        os.makedirs(objdir)
        cc = "clang --target=%s" % CLANG_TARGET
        configure = [
            os.path.join(src, "configure"), "--target=" + TARGET, "--prefix=" + prefix,
            *CONFIGURE_OPTIONS,
            "CC_FOR_TARGET=" + cc, "AS_FOR_TARGET=" + cc,
            "AR_FOR_TARGET=llvm-ar", "RANLIB_FOR_TARGET=llvm-ranlib",
            "LD_FOR_TARGET=ld.lld", "NM_FOR_TARGET=llvm-nm",
            "OBJDUMP_FOR_TARGET=llvm-objdump", "STRIP_FOR_TARGET=llvm-strip",
            "READELF_FOR_TARGET=llvm-readelf",
            "CFLAGS_FOR_TARGET=" + " ".join(TARGET_CFLAGS),
        ]
        say("configuring newlib for %s" % TARGET)
        run_logged(configure, objdir, log)
        say("building libc.a and libm.a with %d jobs (about a minute on 2 cores)" % jobs)
        run_logged(["make", "-j%d" % jobs, "all-target-newlib"], objdir, log)
        run_logged(["make", "install-target-newlib"], objdir, log)

        staged = os.path.join(work, "out")
        os.makedirs(os.path.join(staged, "lib"))
        shutil.copytree(os.path.join(prefix, TARGET, "include"), os.path.join(staged, "include"))
        for lib in ("libc.a", "libm.a"):
            path = os.path.join(prefix, TARGET, "lib", lib)
            if not os.path.isfile(path):
                raise BuildError("the build made no %s; see %s" % (lib, log))
            shutil.copy2(path, os.path.join(staged, "lib", lib))
        shutil.copy2(log, os.path.join(staged, "build.log"))
        with open(os.path.join(staged, "ready"), "w") as f:
            f.write("newlib from %s\n" % tarball)
        os.rename(staged, out)
    except BaseException:
        failed_log = out + ".log"
        if os.path.isfile(log):
            shutil.copy2(log, failed_log)
            say("build failed; its log is %s" % failed_log)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description="Build newlib (libc.a, libm.a) for libpv guests into ~/.cache/mica/newlib-<key>/.",
        epilog="Environment: MICA_CACHE overrides the cache directory ~/.cache/mica.")
    ap.add_argument("--print-dir", action="store_true",
                    help="print the output directory and exit without building")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2, metavar="JOBS")
    opts = ap.parse_args()
    try:
        tarball = find_tarball()
        compiler = tool_version(["clang"])
        out = os.path.join(cache_root(), "newlib-" + build_key(tarball, compiler))
        if opts.print_dir:
            print(out)
            return 0
        if os.path.isfile(os.path.join(out, "ready")):
            print(out)
            return 0
        for tool in ("llvm-ar", "llvm-ranlib", "make"):
            if shutil.which(tool) is None:
                raise BuildError("%s not found: run make setup" % tool)
        os.makedirs(cache_root(), exist_ok=True)
        # One build at a time per key: a second make waits, then finds the stamp.
        with open(out + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.isfile(os.path.join(out, "ready")):
                shutil.rmtree(out, ignore_errors=True)  # a stamp-less leftover
                build(tarball, out, max(1, opts.j))
                say("newlib ready in %s" % out)
        print(out)
        return 0
    except BuildError as e:
        print("build-newlib.py: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
