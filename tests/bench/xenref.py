#!/usr/bin/env python3
"""Assemble the Xen 4.17 reference system of the benchmarks from Debian's packages.

Roots: xen-hypervisor-4.17-amd64 (the hypervisor), xen-utils-4.17 (xl, xenstored,
xenconsoled, xen-init-dom0), xen-utils-common (/etc/xen) and xenstore-utils
(xenstore-read, -write, -ls). Their Depends and Pre-Depends are followed into every
package of Section libs (the shared libraries: libxen*, libyajl2, libc6, zlib1g, ...);
other dependencies (python3, udev, ucf) are not needed by the programs we run and are
left out. Each package's candidate version is fixed first; a sha256 over the list of
`package=version` and this script names the output directory

    ~/.cache/mica/xenref-<key>/       (or $MICA_CACHE/xenref-<key>/)
        xen.elf        the hypervisor, decompressed from /boot/xen-4.17-amd64.gz (QEMU's
                       -kernel Multiboot loader takes an uncompressed 32-bit ELF only)
        xen.config     the hypervisor's build configuration, as packaged
        root/          the files dom0 needs, at their packaged paths: the programs, every
                       shared library they load (resolved through their DT_NEEDED and
                       RUNPATH in the packages' own files, never the host's /usr/lib), the
                       dynamic loader, /etc/xen, and /usr/sbin links to the programs
        packages.txt   package, version, Section of everything downloaded
        libraries.txt  each program and library in root/ with the libraries it needs
        ready          written last

When `ready` exists nothing is downloaded: a warm call costs one apt-cache query. The
packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` (no
maintainer scripts, nothing installed on the host). The last line on stdout is the
directory; progress goes to stderr.
"""

import argparse
import fcntl
import gzip
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

XEN_SERIES = "4.17"
ROOTS = ["xen-hypervisor-%s-amd64" % XEN_SERIES, "xen-utils-%s" % XEN_SERIES,
         "xen-utils-common", "xenstore-utils"]
LIBRARY_SECTIONS = {"libs", "oldlibs"}
XEN_GZ = "boot/xen-%s-amd64.gz" % XEN_SERIES
XEN_CONFIG = "boot/xen-%s-amd64.config" % XEN_SERIES
XEN_BIN = "usr/lib/xen-%s/bin" % XEN_SERIES
# The programs the benchmarks run in dom0, with a /usr/sbin link to each.
PROGRAMS = ["xl", "xenstored", "xenconsoled", "xen-init-dom0", "xenstore-control"]
# xenstore-utils' clients, by their packaged paths (xenstore-read and friends are links).
CLIENTS = ["usr/bin/xenstore-read", "usr/bin/xenstore-write", "usr/bin/xenstore-ls",
           "usr/bin/xenstore-list", "usr/bin/xenstore-rm", "usr/bin/xenstore-exists"]
ETC = ["etc/xen/xl.conf"]
# Libraries loaded with dlopen, which DT_NEEDED does not show: glibc loads libgcc_s for
# pthread_cancel (xl create aborts without it).
DLOPENED = ["libgcc_s.so.1"]
# Where the dynamic loader looks when nothing else says (Debian's multiarch layout).
SYSTEM_LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib",
                   "lib64", "usr/lib64"]
KEY_CHARS = 16


class XenRefError(Exception):
    """A failure the user can act on; the message says what to do."""


def say(msg):
    print("xenref: %s" % msg, file=sys.stderr, flush=True)


def cache_root():
    return Path(os.environ.get("MICA_CACHE") or Path.home() / ".cache" / "mica")


def run(argv, cwd=None):
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              env=dict(os.environ, LC_ALL="C"))
    except FileNotFoundError:
        raise XenRefError("%s not found: this needs a Debian host with apt and dpkg" % argv[0])


# -- which packages, at which versions -------------------------------------------------

def parse_records(text):
    """apt-cache show output -> {package: {field: value}} (the first record of each)."""
    records = {}
    for block in text.split("\n\n"):
        fields, last = {}, None
        for line in block.splitlines():
            if line.startswith(" ") and last:
                fields[last] += "\n" + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if "Package" in fields:
            records.setdefault(fields["Package"], fields)
    return records


def show(packages):
    """{package: record} for those of `packages` apt knows as real packages (virtual and
    unknown names are left out). One apt-cache call for all: each costs most of a second."""
    if not packages:
        return {}
    p = run(["apt-cache", "show", "--no-all-versions", *sorted(set(packages))])
    return parse_records(p.stdout)


def dependency_names(record):
    """Package names a record depends on, the first alternative of each choice."""
    names = []
    for field in ("Pre-Depends", "Depends"):
        for choice in record.get(field, "").split(","):
            alternatives = [a.strip() for a in choice.split("|") if a.strip()]
            if alternatives:
                names.append([re.split(r"[\s(:]", a, maxsplit=1)[0] for a in alternatives])
    return names


def resolve_packages():
    """[(package, version, section)] for the roots and their library closure, sorted.
    Breadth first, one apt-cache call per level. Of a choice `a | b` the first alternative
    apt knows as a real package is taken; it is followed only if it is a library."""
    chosen = show(ROOTS)
    missing = [r for r in ROOTS if r not in chosen]
    if missing:
        raise XenRefError("apt does not know %s: run apt-get update (the host must be Debian 12 "
                          "bookworm)" % ", ".join(missing))
    level, seen = list(ROOTS), set(ROOTS)
    while level:
        choices = [alts for name in level for alts in dependency_names(chosen[name])]
        known = show([a for alts in choices for a in alts if a not in seen])
        level = []
        for alternatives in choices:
            if any(a in seen for a in alternatives):
                continue
            pick = next((a for a in alternatives if a in known), None)
            if pick is None:
                continue  # only virtual packages: nothing to fetch
            seen.add(pick)
            if known[pick].get("Section", "").split("/")[-1] in LIBRARY_SECTIONS:
                chosen[pick] = known[pick]
                level.append(pick)
    return sorted((n, r["Version"], r.get("Section", "?")) for n, r in chosen.items())


def package_key(packages):
    h = hashlib.sha256()
    for name, version, _ in packages:
        h.update(("%s=%s\n" % (name, version)).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:KEY_CHARS]


# -- ELF: the interpreter, needed libraries and run paths ------------------------------

def elf_dynamic(path):
    """(interpreter or None, [DT_NEEDED], [RUNPATH/RPATH dirs]) of an ELF64 file, or None
    if it is not one."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", data,
                                                                 phoff + i * phentsize)
        if p_type == 1:
            loads.append((vaddr, off, filesz))
        elif p_type == 2:
            dynamic = (off, filesz)
        elif p_type == 3:
            interp = data[off:off + filesz].rstrip(b"\0").decode()
    if dynamic is None:
        return interp, [], []

    def file_offset(addr):
        for vaddr, off, size in loads:
            if vaddr <= addr < vaddr + size:
                return off + addr - vaddr
        raise XenRefError("%s: a dynamic-section address lies outside its segments" % path)

    entries = []
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, val = struct.unpack_from("<qQ", data, pos)
        if tag == 0:
            break
        entries.append((tag, val))
    strtab = file_offset(next(v for t, v in entries if t == 5))

    def string(off):
        end = data.index(b"\0", strtab + off)
        return data[strtab + off:end].decode()

    needed = [string(v) for t, v in entries if t == 1]
    paths = [d for t, v in entries if t in (15, 29) for d in string(v).split(":") if d]
    return interp, needed, paths


def inside(tree, path):
    """Resolves `path` (absolute, as the guest sees it) inside `tree`, following symlinks
    the way the guest would (absolute targets are taken from the tree's root). Returns the
    chain of guest paths visited, the last one the real file; None if it does not exist."""
    chain, seen = [], set()
    current = "/" + path.lstrip("/")
    while True:
        # Resolve the directories on the way first.
        parts = [p for p in current.split("/") if p]
        resolved = ""
        for i, part in enumerate(parts):
            candidate = resolved + "/" + part
            host = tree / candidate.lstrip("/")
            if host.is_symlink() and i < len(parts) - 1:
                target = os.readlink(host)
                resolved = os.path.normpath(target if target.startswith("/")
                                            else os.path.dirname(candidate) + "/" + target)
            else:
                resolved = candidate
        if resolved in seen:
            return None
        seen.add(resolved)
        chain.append(resolved)
        host = tree / resolved.lstrip("/")
        if host.is_symlink():
            target = os.readlink(host)
            current = target if target.startswith("/") else os.path.dirname(resolved) + "/" + target
            current = os.path.normpath(current)
            continue
        return chain if host.is_file() else None


def find_library(tree, soname, origin, runpaths):
    dirs = [p.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for p in runpaths]
    for d in dirs + ["/" + s for s in SYSTEM_LIB_DIRS]:
        chain = inside(tree, d.rstrip("/") + "/" + soname)
        if chain:
            return chain
    return None


def collect(tree, start):
    """Every guest path the programs in `start` need: themselves, their interpreter and the
    closure of their libraries, each with the symlinks that lead to it. Returns (paths,
    report lines)."""
    wanted, report, todo, done = set(), [], list(start), set()
    while todo:
        path = todo.pop()
        if path in done:
            continue
        done.add(path)
        chain = inside(tree, path)
        if chain is None:
            raise XenRefError("%s is not in the unpacked packages: the package layout changed; "
                              "update %s" % (path, Path(__file__).name))
        wanted.update(chain)
        real = chain[-1]
        info = elf_dynamic(tree / real.lstrip("/"))
        if info is None:
            continue
        interp, needed, runpaths = info
        report.append("%s: %s" % (path, " ".join(needed) or "(static)"))
        if interp:
            todo.append(interp)
        for soname in needed:
            lib = find_library(tree, soname, os.path.dirname(real), runpaths)
            if lib is None:
                raise XenRefError("%s needs %s, which no downloaded package provides: add the "
                                  "package that ships it to ROOTS in %s"
                                  % (path, soname, Path(__file__).name))
            todo.append(lib[0])
    return wanted, sorted(report)


def copy_into(tree, root, guest_path):
    src = tree / guest_path.lstrip("/")
    dst = root / guest_path.lstrip("/")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        if not dst.is_symlink():
            os.symlink(os.readlink(src), dst)
    elif not dst.exists():
        shutil.copy2(src, dst)


# -- the build ---------------------------------------------------------------------------

def assemble(packages, outdir, work):
    debs = work / "debs"
    debs.mkdir()
    say("downloading %d packages" % len(packages))
    p = run(["apt-get", "download", *("%s=%s" % (n, v) for n, v, _ in packages)], cwd=debs)
    files = sorted(debs.glob("*.deb"))
    if p.returncode != 0 or len(files) != len(packages):
        raise XenRefError("apt-get download failed (%d of %d packages): %s; run apt-get update "
                          "and retry" % (len(files), len(packages),
                                         (p.stderr or p.stdout).strip()[-600:]))
    tree = work / "tree"
    for deb in files:
        p = run(["dpkg-deb", "-x", str(deb), str(tree)])
        if p.returncode != 0:
            raise XenRefError("dpkg-deb -x %s failed: %s" % (deb.name, p.stderr.strip()))
    say("unpacked %d packages" % len(files))

    tmp = work / "out"
    tmp.mkdir()
    xen_gz = tree / XEN_GZ
    if not xen_gz.is_file():
        raise XenRefError("%s is not in %s: update XEN_GZ" % (XEN_GZ, ROOTS[0]))
    with gzip.open(xen_gz) as f:
        image = f.read()
    if image[:4] != b"\x7fELF" or image[4] != 1:
        raise XenRefError("%s is not a 32-bit ELF once decompressed: QEMU's Multiboot loader "
                          "cannot boot it" % XEN_GZ)
    (tmp / "xen.elf").write_bytes(image)
    if (tree / XEN_CONFIG).is_file():
        shutil.copy2(tree / XEN_CONFIG, tmp / "xen.config")

    root = tmp / "root"
    start = ["/%s/%s" % (XEN_BIN, p) for p in PROGRAMS] + ["/" + c for c in CLIENTS]
    for soname in DLOPENED:
        lib = find_library(tree, soname, "/", [])
        if lib is None:
            raise XenRefError("%s is in no downloaded package: add its package to ROOTS"
                              % soname)
        start.append(lib[0])
    paths, report = collect(tree, start)
    for guest_path in sorted(paths) + ["/" + e for e in ETC]:
        copy_into(tree, root, guest_path)
    sbin = root / "usr" / "sbin"
    sbin.mkdir(parents=True, exist_ok=True)
    for prog in PROGRAMS:
        os.symlink("/%s/%s" % (XEN_BIN, prog), sbin / prog)
    (tmp / "libraries.txt").write_text("\n".join(report) + "\n")
    (tmp / "packages.txt").write_text("".join("%s %s %s\n" % p for p in packages))
    (tmp / "ready").write_text("xen %s reference: %d packages, %d files in root/\n"
                               % (XEN_SERIES, len(packages), len(paths)))
    if outdir.exists():
        shutil.rmtree(outdir)  # left over from an interrupted run: it has no ready stamp
    os.rename(tmp, outdir)


def prepare(print_dir=False):
    """Returns the ready directory (downloading and assembling it if needed)."""
    packages = resolve_packages()
    outdir = cache_root() / ("xenref-" + package_key(packages))
    if print_dir:
        return outdir
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(str(outdir) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent assembly of the same key waits here
        if (outdir / "ready").exists():
            return outdir
        work = Path(tempfile.mkdtemp(prefix="xenref-work-", dir=cache_root()))
        try:
            assemble(packages, outdir, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        say("assembled %s" % outdir)
    return outdir


def main():
    ap = argparse.ArgumentParser(
        description="Download Debian's Xen %s hypervisor and tools with apt-get download and "
                    "assemble the benchmarks' Xen reference system into "
                    "~/.cache/mica/xenref-<key>/ (xen.elf, root/, packages.txt). The last line "
                    "on stdout is the directory." % XEN_SERIES,
        epilog="Environment: MICA_CACHE overrides the cache directory ~/.cache/mica.")
    ap.add_argument("--print-dir", action="store_true",
                    help="print the directory for the current package versions and exit")
    args = ap.parse_args()
    try:
        print(prepare(args.print_dir))
        return 0
    except XenRefError as e:
        print("xenref: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xenref: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
