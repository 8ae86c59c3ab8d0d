"""The benchmarks' guest image: dom0-tools/initramfs/build.py plus what the benchmarks add.

One image serves every system that boots the same kernel, so a boot-time difference is
never a difference of images. Added with build.py's --add:

    /usr/libexec/mica/bench-init        the first /init (rdinit=): prints the boot marker
    /usr/libexec/mica/test-bench-<P>    generated per platform P (native, xen, mica): runs
                                        the workloads P can run, each framed by
                                        `mica-bench: begin NAME` and `mica-bench: end NAME N`
    /usr/libexec/mica/bench/           the programs (tests/bench/guest/*.c, built static:
                                        cpuloop, evtchn, hypercall, follow, iobench,
                                        gntbench) and scripts (linux-bench,
                                        xen-toolstack, mica-toolstack, domu-run,
                                        create-many, toolstack.sh, grant-run, io-run,
                                        io-native, xen-vif, xen-blk)
    /usr/bin/mica, /usr/sbin/mica-{consoled,store,blkback,netback}
                                        Mica's toolstack (make tools store-static)
    /lib/modules/bench/xen-{blk,net}back.ko
                                        with a stock kernel: Xen's kernel backends, for
                                        io-run to load in Xen's dom0 (IO_MODULES are in
                                        /init's list)
    /usr/share/mica/bench/domU-bzImage, domU-initramfs.cpio.gz
                                        the domU: our kernel and a domU image (build.py
                                        --role domU with the workout, the programs and
                                        linux-bench, a test-bench-domu that runs it,
                                        test-bench-io, io-run's domUs' io-domu, and
                                        test-bench-grant, grant-run's grant-domu)
    /usr/share/mica/bench/domU-small.cpio.gz
                                        create-many's guests' image: busybox, /init
    Xen's dom0 programs and libraries   the root/ of tests/bench/xenref.py, when given

The generated scripts go to build/bench/guest-<mode>/; build.py keys the image by its
content, so an unchanged set of workloads reuses the cached image.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GUEST = HERE / "guest"
INITRAMFS_BUILD = REPO / "dom0-tools" / "initramfs" / "build.py"
LIBEXEC = "/usr/libexec/mica"
BENCH_INIT = LIBEXEC + "/bench-init"
SHARE = "/usr/share/mica/bench"
DOMU_KERNEL = SHARE + "/domU-bzImage"
DOMU_IMAGE = SHARE + "/domU-initramfs.cpio.gz"
DOMU_SMALL_IMAGE = SHARE + "/domU-small.cpio.gz"
CC = "gcc"
CFLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wmissing-prototypes",
          "-Wshadow", "-static"]


class ImageError(Exception):
    """A failure the user can act on; the message says what to do."""


def cache_root():
    return Path(os.environ.get("MICA_CACHE") or Path.home() / ".cache" / "mica")


def _run(cmd, what):
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    except FileNotFoundError:
        raise ImageError("%s: %s not found: run make setup" % (what, cmd[0]))
    if proc.returncode:
        raise ImageError("%s failed: %s" % (what, (proc.stderr or proc.stdout).strip()[-1500:]))
    return proc.stdout


PROGRAMS = ["cpuloop", "evtchn", "hypercall", "follow", "iobench", "gntbench"]
SCRIPTS = ["linux-bench", "toolstack.sh", "xen-toolstack", "mica-toolstack", "domu-run",
           "create-many", "grant-run", "io-run", "io-native", "xen-vif", "xen-blk"]
# What a stock dom0 needs for the I/O rows: loaded by /init on every system (Mica's
# netback makes a TAP and a bridge; Xen's dom0 backs its disk with a loop device) ...
IO_MODULES = ["bridge", "tun", "loop"]
# ... and Xen's kernel backends, which only io-run loads, in Xen's dom0: in Mica's they
# would serve the same store devices as mica-blkback and mica-netback.
XEN_BACKENDS = ["drivers/block/xen-blkback/xen-blkback.ko",
                "drivers/net/xen-netback/xen-netback.ko"]
XEN_BACKENDS_DIR = "/lib/modules/bench"


def build_program(name):
    """tests/bench/guest/NAME.c as a static binary, cached by source (with the shared
    bench.h), flags and compiler."""
    src = GUEST / (name + ".c")
    h = hashlib.sha256()
    for part in [CC, *CFLAGS, _run([CC, "--version"], "asking gcc its version"),
                 src.read_text(), (GUEST / "bench.h").read_text()]:
        h.update(part.encode() + b"\0")
    outdir = cache_root() / ("bench-%s-%s" % (name, h.hexdigest()[:16]))
    if not (outdir / "ready").exists():
        cache_root().mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="bench-%s-tmp-" % name, dir=cache_root()))
        try:
            tmp.chmod(0o755)
            _run([CC, *CFLAGS, "-o", tmp / name, src], "compiling %s" % src)
            (tmp / "ready").write_text("built from %s\n" % src)
            try:
                os.rename(tmp, outdir)
            except OSError:
                if not (outdir / "ready").exists():
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return outdir / name


def bench_files():
    """[(host path, image path)] of the programs and scripts under LIBEXEC/bench."""
    return [(build_program(p), "%s/bench/%s" % (LIBEXEC, p)) for p in PROGRAMS] + \
        [(GUEST / s, "%s/bench/%s" % (LIBEXEC, s)) for s in SCRIPTS]


def build_mica_tools():
    """[(host path, image path)] of mica, mica-consoled and a static mica-store."""
    _run(["make", "-C", REPO, "--no-print-directory", "-s", "tools", "store-static"],
         "building Mica's toolstack (make tools store-static)")
    tools, store = REPO / "build" / "tools", REPO / "build" / "store"
    return [(tools / "mica", "/usr/bin/mica"),
            (tools / "mica-consoled", "/usr/sbin/mica-consoled"),
            (tools / "mica-blkback", "/usr/sbin/mica-blkback"),
            (tools / "mica-netback", "/usr/sbin/mica-netback"),
            (store / "mica-store.static", "/usr/sbin/mica-store")]


def guest_script(platform, workloads, quick):
    """The shell script /init runs for mica.test=bench-PLATFORM."""
    lines = ["#!/bin/sh",
             "# mica.test=bench-%s: generated by tests/bench/run.py%s; do not edit."
             % (platform, " (quick mode)" if quick else ""),
             "export PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    for w in workloads:
        command = w.command_for(platform, quick)
        if command is None:
            continue
        lines += ['echo "mica-bench: begin %s"' % w.name,
                  "( %s )" % command,
                  'echo "mica-bench: end %s $?"' % w.name]
    lines.append('echo "mica-bench: done"')
    return "\n".join(lines) + "\n"


def _initramfs(args, what):
    cmd = [sys.executable, INITRAMFS_BUILD, *args]
    out = _run(cmd, what)
    return Path(out.strip().splitlines()[-1])


def build_domu():
    """The benchmarks' domU image: busybox, /init, the workout, bench-init, the
    programs and scripts, and test-bench-domu."""
    args = ["--role", "domU"]
    for src, dest in [(GUEST / "bench-init", BENCH_INIT),
                      (GUEST / "domu-test", LIBEXEC + "/test-bench-domu"),
                      (GUEST / "io-domu", LIBEXEC + "/test-bench-io"),
                      (GUEST / "grant-domu", LIBEXEC + "/test-bench-grant"), *bench_files()]:
        args += ["--add", "%s:%s" % (src, dest)]
    return _initramfs(args, "building the bench domU image")


def build_domu_small():
    """The image of create-many's guests: busybox, /init and bench-init only (Xen's
    builder wants the ramdisk inside the guest's 40 MiB, beside our 33 MiB kernel)."""
    return _initramfs(["--role", "domU", "--no-workout",
                       "--add", "%s:%s" % (GUEST / "bench-init", BENCH_INIT)],
                      "building the small bench domU image")


def build(workloads, platforms, quick, xenref=None, modules_from=None, domu_kernel=None):
    """Builds (or finds in the cache) the image; returns the path of initramfs.cpio.gz."""
    scripts = REPO / "build" / "bench" / ("guest-quick" if quick else "guest-full")
    scripts.mkdir(parents=True, exist_ok=True)
    adds = [(GUEST / "bench-init", BENCH_INIT), *bench_files(), *build_mica_tools()]
    if domu_kernel is not None:
        adds += [(domu_kernel, DOMU_KERNEL), (build_domu(), DOMU_IMAGE),
                 (build_domu_small(), DOMU_SMALL_IMAGE)]
    for platform in platforms:
        path = scripts / ("test-bench-" + platform)
        text = guest_script(platform, workloads, quick)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        path.chmod(0o755)
        adds.append((path, "%s/test-bench-%s" % (LIBEXEC, platform)))
    if xenref is not None:
        for top in sorted((Path(xenref) / "root").iterdir()):
            adds.append((top, "/" + top.name))
    args = []
    if modules_from:
        args = ["--modules-from", modules_from]
        for name in IO_MODULES:
            args += ["--module", name]
        kernel_dir = next(Path(modules_from).glob("lib/modules/*/kernel"), None)
        if kernel_dir is None:
            raise ImageError("%s has no lib/modules/*/kernel: run guest-linux-patches/stock.py"
                             % modules_from)
        adds += [(kernel_dir / ko, "%s/%s" % (XEN_BACKENDS_DIR, Path(ko).name))
                 for ko in XEN_BACKENDS]
    for src, dest in adds:
        args += ["--add", "%s:%s" % (src, dest)]
    return _initramfs(args, "building the bench image")
