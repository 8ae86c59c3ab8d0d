#!/usr/bin/env python3
"""Assemble Mica's dom0 (or domU) initramfs: a gzip-compressed newc cpio archive.

Contents: busybox from Debian's busybox-static as /bin/busybox with a symlink per applet;
the tree under root/ beside this script (/init, /etc files, the /usr/libexec/mica/test-*
programs /init runs for mica.test=NAME); /usr/bin/workout built from tests/workout/;
/etc/mica/role; optionally a stock kernel's Xen modules (--modules-from) with
/etc/mica/modules, the list /init loads in dependency order; and files given with --add.

The archive is deterministic (entries sorted, owner root, fixed mtimes, gzip without a
timestamp), and the first 16 hex digits of the sha256 of the uncompressed archive name its
directory: ~/.cache/mica/initramfs-<key>/ (or $MICA_CACHE/...) holds initramfs.cpio.gz,
contents.txt and, written last, `ready`. The path of initramfs.cpio.gz is the last line
printed on stdout; progress goes to stderr. The workout binary is cached the same way in
workout-<key>/, keyed by its sources, the compiler and libc6-dev.
"""

import argparse
import gzip
import hashlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ROOT_TREE = HERE / "root"
WORKOUT_SRC = REPO / "tests" / "workout"
BUSYBOX = Path("/bin/busybox")
KEY_CHARS = 16
MTIME = 0  # every entry's mtime: the archive depends on content only

WORKOUT_CC = "gcc"
# No -g: debug info names the compiler's temporary files, and the binary must be the same
# on every build from the same inputs.
WORKOUT_CFLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                  "-Wmissing-prototypes", "-Wshadow", "-static", "-pthread"]

# What a stock kernel needs as modules to be dom0 or a domU: block and network frontends,
# and dom0's /proc/xen, /dev/xen/evtchn, privcmd and gntdev.
DEFAULT_MODULES = ["xen-blkfront", "xen-netfront", "xenfs", "xen-evtchn", "xen-privcmd",
                   "xen-gntdev"]

# Directories every image has, and their permissions.
BASE_DIRS = {"bin": 0o755, "sbin": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755,
             "usr/libexec/mica": 0o755, "etc/mica": 0o755, "lib/modules": 0o755,
             "dev": 0o755, "proc": 0o555, "sys": 0o555, "run": 0o755, "tmp": 0o1777,
             "root": 0o700, "mnt": 0o755, "var": 0o755}

START = time.monotonic()


class BuildError(Exception):
    """A failure the user can act on; the message says what to do."""


def say(msg):
    print("[%5.1fs] %s" % (time.monotonic() - START, msg), file=sys.stderr, flush=True)


def cache_root():
    return Path(os.environ.get("MICA_CACHE") or Path.home() / ".cache" / "mica")


def run(cmd, what):
    """Runs a command; returns its stdout, or raises BuildError naming `what`."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise BuildError("%s: %s not found: run make setup" % (what, cmd[0]))
    if proc.returncode:
        raise BuildError("%s failed (%s):\n%s" % (what, " ".join(map(str, cmd)),
                                                  (proc.stderr or proc.stdout).strip()))
    return proc.stdout


def publish(tmp, final):
    """Renames the finished temporary directory `tmp` to `final`; if another run got there
    first (same key, so the same content), keeps theirs."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / "ready").exists():
            raise
        shutil.rmtree(tmp)


# -- the image's entries ----------------------------------------------------------------

class Image:
    """Entries by path (relative, no leading slash): (kind, mode, payload), where kind is
    dir, file, link or char; payload is bytes, a link target, or (major, minor)."""

    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            kind = self.entries.get(parent, ("dir",))[0]
            if kind != "dir":
                raise BuildError("cannot put /%s in the image: /%s is a %s, not a directory"
                                 % (path, parent, kind))
            self.entries.setdefault(parent, ("dir", 0o755, None))

    def add(self, path, kind, mode, payload=None):
        path = path.strip("/")
        if not path or ".." in path.split("/"):
            raise BuildError("bad path in the image: '/%s'" % path)
        self._parents(path)
        old = self.entries.get(path)
        if old and old[0] == "dir" and kind == "dir":
            return
        if old and old[0] == "dir" and any(p.startswith(path + "/") for p in self.entries):
            raise BuildError("cannot replace the directory /%s with a %s" % (path, kind))
        self.entries[path] = (kind, mode, payload)

    def add_tree(self, src, dest):
        """Adds a file, or a directory tree, from the host at `dest`. Files keep their
        executable bit (0755 or 0644); symlinks are copied as links."""
        src = Path(src)
        if src.is_symlink():
            self.add(dest, "link", 0o777, os.readlink(src))
        elif src.is_dir():
            if dest.strip("/"):
                self.add(dest, "dir", 0o755)
            for child in sorted(src.iterdir()):
                self.add_tree(child, dest.rstrip("/") + "/" + child.name)
        elif src.is_file():
            mode = 0o755 if os.stat(src).st_mode & stat.S_IXUSR else 0o644
            self.add(dest, "file", mode, src.read_bytes())
        else:
            raise BuildError("%s: not a file or directory (for --add, give an existing path)"
                             % src)

    def cpio(self):
        """The image as an uncompressed newc cpio archive, entries sorted by path."""
        out = bytearray()
        kinds = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "link": stat.S_IFLNK,
                 "char": stat.S_IFCHR}
        for ino, path in enumerate(sorted(self.entries), start=1):
            kind, mode, payload = self.entries[path]
            data, rdev = b"", (0, 0)
            if kind == "file":
                data = payload
            elif kind == "link":
                data = payload.encode()
            elif kind == "char":
                rdev = payload
            nlink = 2 if kind == "dir" else 1
            _cpio_entry(out, path, ino, kinds[kind] | mode, nlink, data, rdev)
        _cpio_entry(out, "TRAILER!!!", 0, 0, 1, b"", (0, 0))
        return bytes(out)

    def listing(self):
        lines = []
        for path in sorted(self.entries):
            kind, mode, payload = self.entries[path]
            extra = {"file": lambda: "%d bytes" % len(payload),
                     "link": lambda: "-> " + payload,
                     "char": lambda: "char %d:%d" % payload,
                     "dir": lambda: ""}[kind]()
            lines.append(("%-4s %04o /%s %s" % (kind, mode, path, extra)).rstrip())
        return "\n".join(lines) + "\n"


def _pad4(out):
    out += b"\0" * (-len(out) % 4)


def _cpio_entry(out, name, ino, mode, nlink, data, rdev):
    """Appends one newc entry: the 110-byte header "070701" and 13 fields of 8 hex digits
    (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
    rdevminor, namesize, check), the NUL-terminated name and the data, each padded to 4."""
    name = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, nlink, MTIME, len(data), 0, 0, rdev[0], rdev[1], len(name), 0)
    out += b"070701" + b"".join(b"%08X" % f for f in fields) + name
    _pad4(out)
    out += data
    _pad4(out)


# -- busybox ----------------------------------------------------------------------------

def elf_interpreter(data):
    """True if an ELF64 file has a PT_INTERP program header (is dynamically linked)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise BuildError("%s is not a 64-bit ELF file" % BUSYBOX)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return any(struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 3
               for i in range(phnum))


def add_busybox(image):
    if not BUSYBOX.is_file():
        raise BuildError("%s is missing: install busybox-static (make setup)" % BUSYBOX)
    data = BUSYBOX.read_bytes()
    if elf_interpreter(data):
        raise BuildError("%s is dynamically linked (Debian's busybox package): install "
                         "busybox-static instead (apt-get install busybox-static)" % BUSYBOX)
    image.add("bin/busybox", "file", 0o755, data)
    applets = run([str(BUSYBOX), "--list-full"], "listing busybox's applets").split()
    for path in applets:
        if "/" in path and path != "bin/busybox":
            image.add(path, "link", 0o777, "/bin/busybox")
    return len(applets)


# -- the workout program ----------------------------------------------------------------

def package_version(name):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", name],
                         capture_output=True, text=True)
    status, _, version = out.stdout.partition("\t")
    if out.returncode or "installed" not in status.split():
        raise BuildError("%s is not installed: run make setup (or apt-get install %s)"
                         % (name, name))
    return version


def build_workout():
    """Compiles tests/workout into a static binary (cached); returns its path."""
    sources = sorted(p for p in WORKOUT_SRC.iterdir() if p.suffix in (".c", ".S", ".h"))
    if not sources:
        raise BuildError("no sources in %s" % WORKOUT_SRC)
    h = hashlib.sha256()
    for part in ([WORKOUT_CC] + WORKOUT_CFLAGS +
                 [run([WORKOUT_CC, "--version"], "asking the compiler's version"),
                  package_version("libc6-dev")]):
        h.update(part.encode() + b"\0")
    for src in sources:
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    outdir = cache_root() / ("workout-" + h.hexdigest()[:KEY_CHARS])
    binary = outdir / "workout"
    if (outdir / "ready").exists():
        return binary
    cache_root().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="workout-tmp-", dir=cache_root()))
    try:
        tmp.chmod(0o755)
        units = [str(s) for s in sources if s.suffix != ".h"]
        run([WORKOUT_CC, *WORKOUT_CFLAGS, "-o", str(tmp / "workout"), *units],
            "compiling tests/workout")
        (tmp / "ready").write_text("workout built from %s\n" % WORKOUT_SRC)
        publish(tmp, outdir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    say("built %s" % binary)
    return binary


# -- a stock kernel's modules -----------------------------------------------------------

def modinfo_depends(path):
    """The depends= list of a .ko file, read from its .modinfo section."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise BuildError("%s is not a 64-bit ELF module" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        base = shoff + i * shentsize
        name, = struct.unpack_from("<I", data, base)
        offset, size = struct.unpack_from("<QQ", data, base + 0x18)
        return name, offset, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, offset, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            for field in data[offset:offset + size].split(b"\0"):
                if field.startswith(b"depends="):
                    return [d for d in field[8:].decode().split(",") if d]
            return []
    raise BuildError("%s has no .modinfo section" % path)


def norm(name):
    return name.replace("_", "-")


def add_modules(image, source, wanted):
    """Adds `wanted` modules and their dependencies from a stock.py directory (or a
    lib/modules/<abi> directory), and /etc/mica/modules in load order."""
    source = Path(source).expanduser()
    root = next((c.resolve() for c in (source / "modules", source)
                 if (c / "kernel").is_dir()), None)
    if root is None:
        raise BuildError("%s has no modules/kernel or kernel/ directory: give the directory "
                         "guest-linux-patches/stock.py printed" % source)
    files = {}
    for dirpath, _, names in os.walk(root / "kernel"):
        for n in names:
            if n.endswith(".ko"):
                files.setdefault(norm(n[:-3]), Path(dirpath) / n)
            elif ".ko." in n:
                files.setdefault(norm(n.split(".ko.")[0]), None)
    deps = {}
    depfile = root / "modules.dep"
    if depfile.is_file():
        for line in depfile.read_text().splitlines():
            mod, _, needs = line.partition(":")
            deps[norm(Path(mod).name[:-3])] = [norm(Path(d).name[:-3]) for d in needs.split()]

    order, visiting = [], set()

    def visit(name, wanted_by):
        key = norm(name)
        if key in order:
            return
        if key in visiting:
            raise BuildError("modules %s depend on each other in a cycle" % key)
        if key not in files:
            why = " (needed by %s)" % wanted_by if wanted_by else ""
            raise BuildError("module %s%s is not in %s" % (key, why, root / "kernel"))
        if files[key] is None:
            raise BuildError("module %s is compressed: only uncompressed .ko files can be "
                             "loaded by busybox insmod" % key)
        visiting.add(key)
        if key not in deps:
            deps[key] = [norm(d) for d in modinfo_depends(files[key])]
        for d in deps[key]:
            visit(d, key)
        visiting.discard(key)
        order.append(key)

    for name in wanted:
        visit(name, None)
    lines = []
    for key in order:
        rel = "%s/%s" % (root.name, files[key].relative_to(root))
        image.add("lib/modules/" + rel, "file", 0o644, files[key].read_bytes())
        lines.append(" ".join([key, rel] + deps[key]))
    image.add("etc/mica/modules", "file", 0o644, ("\n".join(lines) + "\n").encode())
    return order, root.name


# -- main -------------------------------------------------------------------------------

def parse_add(spec):
    src, sep, dest = spec.rpartition(":")
    if not sep or not src or not dest.startswith("/"):
        raise argparse.ArgumentTypeError(
            "'%s': use SRC:DEST with DEST an absolute path in the image, e.g. "
            "build/mica:/usr/bin/mica" % spec)
    return src, dest


def assemble(args):
    image = Image()
    for path, mode in BASE_DIRS.items():
        image.add(path, "dir", mode)
    image.add("dev/console", "char", 0o600, (5, 1))  # the kernel opens it for /init
    applets = add_busybox(image)
    image.add_tree(ROOT_TREE, "/")
    if not (ROOT_TREE / "init").is_file():
        raise BuildError("%s is missing" % (ROOT_TREE / "init"))
    image.add("etc/mica/role", "file", 0o644, (args.role + "\n").encode())
    if not args.no_workout:
        image.add_tree(build_workout(), "/usr/bin/workout")
    modules = []
    if args.modules_from:
        modules, abi = add_modules(image, args.modules_from, DEFAULT_MODULES + args.module)
        say("modules for %s: %s" % (abi, " ".join(modules)))
    for src, dest in args.add:
        if dest.endswith("/"):
            dest += Path(src).name
        image.add_tree(src, dest)
    say("%d entries (%d busybox applets) for %s" % (len(image.entries), applets, args.role))
    return image


def main():
    ap = argparse.ArgumentParser(
        description="Assemble Mica's dom0 or domU initramfs (gzip newc cpio) into "
                    "~/.cache/mica/initramfs-<key>/initramfs.cpio.gz; the key is a hash of "
                    "the archive, so the same inputs reuse the same file. The path is the "
                    "last line on stdout.",
        epilog="Environment: MICA_CACHE overrides the cache directory ~/.cache/mica. "
               "See docs/dom0.md.")
    ap.add_argument("--role", choices=("dom0", "domU"), default="dom0",
                    help="written to /etc/mica/role; /init prints it (default dom0)")
    ap.add_argument("--modules-from", metavar="DIR",
                    help="a stock kernel's directory from guest-linux-patches/stock.py: include "
                         "its %s modules and their dependencies, loaded by /init"
                         % ", ".join(DEFAULT_MODULES))
    ap.add_argument("--module", action="append", default=[], metavar="NAME",
                    help="with --modules-from: one more module to include (repeatable)")
    ap.add_argument("--add", action="append", default=[], type=parse_add, metavar="SRC:DEST",
                    help="add a host file or directory tree at DEST in the image (a DEST "
                         "ending in / is a directory to put SRC in); repeatable; later ones "
                         "replace earlier files")
    ap.add_argument("--no-workout", action="store_true",
                    help="leave out /usr/bin/workout (no compiler needed)")
    ap.add_argument("--workout", action="store_true",
                    help="only build the workout program and print its path")
    args = ap.parse_args()
    if args.module and not args.modules_from:
        ap.error("--module needs --modules-from")

    try:
        if args.workout:
            print(build_workout())
            return 0
        image = assemble(args)
        data = image.cpio()
        key = hashlib.sha256(data).hexdigest()[:KEY_CHARS]
        outdir = cache_root() / ("initramfs-" + key)
        target = outdir / "initramfs.cpio.gz"
        if (outdir / "ready").exists():
            say("up to date: %s" % outdir)
        else:
            cache_root().mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix="initramfs-tmp-", dir=cache_root()))
            try:
                tmp.chmod(0o755)
                (tmp / "initramfs.cpio.gz").write_bytes(gzip.compress(data, 9, mtime=0))
                (tmp / "contents.txt").write_text(image.listing())
                (tmp / "ready").write_text("role %s\nentries %d\ncpio bytes %d\n"
                                           % (args.role, len(image.entries), len(data)))
                publish(tmp, outdir)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp)
            say("wrote %s (%d KiB)" % (target, target.stat().st_size >> 10))
        print(target)
        return 0
    except BuildError as e:
        print("initramfs/build.py: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("initramfs/build.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
