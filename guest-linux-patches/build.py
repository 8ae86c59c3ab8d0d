#!/usr/bin/env python3
"""Build Mica's Linux 6.1 guest kernel (one image for dom0 and domU) from Debian's linux-source-6.1.

Inputs: /usr/src/linux-source-6.1.tar.xz (Debian package linux-source-6.1), the patches listed in
`series` beside this script, the Kconfig fragment `mica.config`, and this script. A sha256 over
all of them names the output directory ~/.cache/mica/linux-<key>/, which holds vmlinux, bzImage,
.config, xen-notes.txt, build.log and, written last, a `ready` stamp. When the stamp exists
nothing is built. A failed build leaves its log beside that directory as linux-<key>.log.

The last line printed on stdout is always the output directory; progress goes to stderr.
Set MICA_CACHE to use another cache directory than ~/.cache/mica.
"""

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_PACKAGE = "linux-source-6.1"
SOURCE_TARBALL = "/usr/src/linux-source-6.1.tar.xz"
SOURCE_TOPDIR = "linux-source-6.1"
SERIES = os.path.join(HERE, "series")
FRAGMENT = os.path.join(HERE, "mica.config")
ARCH = "x86_64"
KEY_CHARS = 16  # hex digits of the sha256 used in the directory name

# Host programs the kernel build runs, and the Debian package that provides each.
HOST_TOOLS = [
    ("make", "make"), ("gcc", "gcc"), ("ld", "binutils"), ("bison", "bison"),
    ("flex", "flex"), ("bc", "bc"), ("perl", "perl"), ("tar", "tar"), ("xz", "xz-utils"),
    ("lz4", "lz4"),
]
# objtool (built for UNWINDER_ORC and friends) links against libelf.
HOST_HEADERS = [("/usr/include/gelf.h", "libelf-dev")]

START = time.monotonic()


class BuildError(Exception):
    """A failure the user can act on; the message says what to do."""


def say(msg):
    print("[%5.0fs] %s" % (time.monotonic() - START, msg), file=sys.stderr, flush=True)


def cache_root():
    return os.environ.get("MICA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mica")


def source_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", SOURCE_PACKAGE],
                             capture_output=True, text=True)
    except FileNotFoundError:
        raise BuildError("dpkg-query not found: this script expects a Debian host")
    status, _, version = out.stdout.partition("\t")
    if out.returncode != 0 or "installed" not in status.split() or not version:
        raise BuildError("%s is not installed: run make setup (or apt-get install %s)"
                         % (SOURCE_PACKAGE, SOURCE_PACKAGE))
    if not os.path.isfile(SOURCE_TARBALL):
        raise BuildError("%s is missing although %s %s is installed: reinstall it with "
                         "apt-get install --reinstall %s"
                         % (SOURCE_TARBALL, SOURCE_PACKAGE, version, SOURCE_PACKAGE))
    return version


def read_series():
    """Return the patch file names listed in `series`, in order (blank and # lines skipped)."""
    if not os.path.isfile(SERIES):
        raise BuildError("%s is missing: create it (it may be empty)" % SERIES)
    patches = []
    with open(SERIES) as f:
        for lineno, line in enumerate(f, 1):
            name = line.strip()
            if not name or name.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(HERE, name))
            if not path.startswith(HERE + os.sep):
                raise BuildError("series line %d: %s points outside %s" % (lineno, name, HERE))
            if not os.path.isfile(path):
                raise BuildError("series line %d: patch %s not found in %s" % (lineno, name, HERE))
            patches.append(name)
    return patches


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def build_key(version, patches):
    """sha256 over everything that determines the result, each item framed by name and length."""
    h = hashlib.sha256()

    def feed(label, data):
        h.update(b"%s\0%d\0" % (label.encode(), len(data)))
        h.update(data)

    feed("source-version", version.encode())
    feed("series", read_bytes(SERIES))
    for name in patches:
        feed("patch:" + name, read_bytes(os.path.join(HERE, name)))
    feed("mica.config", read_bytes(FRAGMENT))
    feed("build.py", read_bytes(os.path.abspath(__file__)))
    return h.hexdigest()


def check_host():
    missing = sorted({pkg for tool, pkg in HOST_TOOLS if shutil.which(tool) is None} |
                     {pkg for path, pkg in HOST_HEADERS if not os.path.exists(path)})
    if missing:
        raise BuildError("missing build dependencies: %s: run make setup (or apt-get install %s)"
                         % (", ".join(missing), " ".join(missing)))


# --- Kconfig fragment ---------------------------------------------------------------------------

def parse_fragment():
    """Return [(symbol, value)] from mica.config; value None means 'must be off'."""
    wanted = []
    with open(FRAGMENT) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            m = re.fullmatch(r"(CONFIG_\w+)=(.+)", line)
            if m:
                wanted.append((m.group(1), m.group(2)))
                continue
            m = re.fullmatch(r"# (CONFIG_\w+) is not set", line)
            if m:
                wanted.append((m.group(1), None))
                continue
            if line and not line.startswith("#"):
                raise BuildError("%s line %d is not a Kconfig assignment: %s"
                                 % (FRAGMENT, lineno, line))
    return wanted


def read_dotconfig(path):
    values = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"(CONFIG_\w+)=(.*)", line)
            if m:
                values[m.group(1)] = m.group(2)
    return values


def check_config(dotconfig):
    """Compare the final .config with the fragment; return a list of human-readable problems."""
    have = read_dotconfig(dotconfig)
    problems = []
    for sym, want in parse_fragment():
        got = have.get(sym)
        if want is None:
            if got not in (None, "n"):
                problems.append("%s should be off but is %s (something selects it)" % (sym, got))
        elif got != want:
            problems.append("%s=%s was asked for but ended up %s (unmet dependency?)"
                            % (sym, want, "unset" if got is None else got))
    return problems


# --- Xen ELF notes ------------------------------------------------------------------------------

# Note numbers from Xen's public/elfnote.h; strings are the ones whose payload is text.
XEN_NOTES = {
    1: "ENTRY", 2: "HYPERCALL_PAGE", 3: "VIRT_BASE", 4: "PADDR_OFFSET", 5: "XEN_VERSION",
    6: "GUEST_OS", 7: "GUEST_VERSION", 8: "LOADER", 9: "PAE_MODE", 10: "FEATURES",
    11: "BSD_SYMTAB", 12: "HV_START_LOW", 13: "L1_MFN_VALID", 14: "SUSPEND_CANCEL",
    15: "INIT_P2M", 16: "MOD_START_PFN", 17: "SUPPORTED_FEATURES", 18: "PHYS32_ENTRY",
}
XEN_STRING_NOTES = {5, 6, 7, 8, 9, 10, 11}
XENFEAT_DOM0 = 11
PT_NOTE = 4


def read_xen_notes(path):
    """Return {note type: raw descriptor bytes} for every note owned by "Xen" in PT_NOTE segments."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise BuildError("%s is not a little-endian ELF64 file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    notes = {}
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type != PT_NOTE:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            desc = data[desc_at:desc_at + descsz]
            pos = desc_at + ((descsz + 3) & ~3)
            if name == b"Xen":
                notes[ntype] = desc
    return notes


def describe_note(ntype, desc):
    if ntype in XEN_STRING_NOTES:
        return '"%s"' % desc.rstrip(b"\0").decode("ascii", "replace")
    if len(desc) in (4, 8):
        return "0x%x" % int.from_bytes(desc, "little")
    if ntype == 13 and len(desc) == 16:
        return "mask 0x%x value 0x%x" % struct.unpack("<QQ", desc)
    return desc.hex()


def check_xen_notes(vmlinux):
    """Check that vmlinux can be started as a Xen PV guest and dom0; return the notes as text."""
    notes = read_xen_notes(vmlinux)
    problems = []
    for ntype in (1, 3, 5, 6, 17):
        if ntype not in notes:
            problems.append("XEN_ELFNOTE_%s is missing" % XEN_NOTES[ntype])
    if 5 in notes and not notes[5].startswith(b"xen-3.0"):
        problems.append("XEN_ELFNOTE_XEN_VERSION is not xen-3.0")
    if 6 in notes and notes[6].rstrip(b"\0") != b"linux":
        problems.append("XEN_ELFNOTE_GUEST_OS is not linux")
    if 17 in notes and not int.from_bytes(notes[17], "little") & (1 << XENFEAT_DOM0):
        problems.append("XEN_ELFNOTE_SUPPORTED_FEATURES lacks the dom0 bit (CONFIG_XEN_DOM0 off?)")
    if 1 in notes and 3 in notes and (int.from_bytes(notes[1], "little") <
                                      int.from_bytes(notes[3], "little")):
        problems.append("XEN_ELFNOTE_ENTRY lies below XEN_ELFNOTE_VIRT_BASE")
    if problems:
        raise BuildError("%s is not a usable Xen PV kernel: %s. Check that CONFIG_XEN_PV and "
                         "CONFIG_XEN_DOM0 are set in the .config" % (vmlinux, "; ".join(problems)))
    lines = ["XEN_ELFNOTE_%-18s %s" % (XEN_NOTES.get(t, "type %d" % t), describe_note(t, d))
             for t, d in sorted(notes.items())]
    if 2 not in notes:
        lines.append("(no HYPERCALL_PAGE note: this kernel issues hypercalls with syscall)")
    return "\n".join(lines) + "\n"


# --- The build ----------------------------------------------------------------------------------

class Runner:
    """Runs build commands with their output appended to one log file (and echoed if verbose)."""

    def __init__(self, log_path, verbose):
        self.log_path = log_path
        self.verbose = verbose

    def run(self, argv, cwd, what):
        say(what)
        env = dict(os.environ, LC_ALL="C")
        with open(self.log_path, "a") as log:
            log.write("\n$ %s\n" % " ".join(argv))
            log.flush()
            if self.verbose:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
                for line in proc.stdout:
                    log.write(line)
                    sys.stderr.write(line)
                rc = proc.wait()
            else:
                rc = subprocess.run(argv, cwd=cwd, env=env, stdout=log,
                                    stderr=subprocess.STDOUT).returncode
        if rc != 0:
            raise BuildError("%s failed (exit %d): see the end of %s" % (what, rc, self.log_path))


def build(workdir, outdir, log_path, patches, version, key, jobs, verbose):
    r = Runner(log_path, verbose)
    src = os.path.join(workdir, SOURCE_TOPDIR)
    make = ["make", "ARCH=" + ARCH]

    r.run(["tar", "-xf", SOURCE_TARBALL, "-C", workdir],
          workdir, "unpacking %s %s" % (SOURCE_PACKAGE, version))
    for name in patches:
        if shutil.which("patch") is None:
            raise BuildError("patch is not installed: run make setup (or apt-get install patch)")
        r.run(["patch", "-p1", "--forward", "--batch", "--fuzz=0", "-i", os.path.join(HERE, name)],
              src, "applying %s (if this fails, refresh the patch against %s %s)"
              % (name, SOURCE_PACKAGE, version))
    r.run(make + ["tinyconfig"], src, "make tinyconfig")
    r.run([os.path.join(src, "scripts", "kconfig", "merge_config.sh"), "-m", ".config", FRAGMENT],
          src, "merging mica.config")
    r.run(make + ["olddefconfig"], src, "make olddefconfig")

    problems = check_config(os.path.join(src, ".config"))
    if problems:
        for p in problems:
            say("config: " + p)
        raise BuildError("%d option(s) of mica.config did not survive olddefconfig (listed above): "
                         "fix their dependencies in mica.config" % len(problems))
    say("config: all %d options of mica.config are in effect" % len(parse_fragment()))

    r.run(make + ["-j%d" % jobs, "vmlinux", "bzImage"], src,
          "make -j%d vmlinux bzImage (a few minutes; log: %s)" % (jobs, log_path))

    vmlinux = os.path.join(src, "vmlinux")
    notes = check_xen_notes(vmlinux)
    say("vmlinux carries the Xen PV notes")

    if os.path.exists(outdir):
        shutil.rmtree(outdir)  # left over from an interrupted run: it has no ready stamp
    os.makedirs(outdir)
    shutil.copy2(vmlinux, os.path.join(outdir, "vmlinux"))
    shutil.copy2(os.path.join(src, "arch", "x86", "boot", "bzImage"), os.path.join(outdir, "bzImage"))
    shutil.copy2(os.path.join(src, ".config"), os.path.join(outdir, ".config"))
    with open(os.path.join(outdir, "xen-notes.txt"), "w") as f:
        f.write(notes)
    os.replace(log_path, os.path.join(outdir, "build.log"))
    with open(os.path.join(outdir, "ready"), "w") as f:
        f.write("source %s %s\npatches %d\nkey %s\nbuild seconds %.0f\n"
                % (SOURCE_PACKAGE, version, len(patches), key, time.monotonic() - START))


def main():
    ap = argparse.ArgumentParser(
        description="Build Mica's Linux 6.1 PV guest kernel (dom0 and domU) from Debian's "
                    "linux-source-6.1 into ~/.cache/mica/linux-<key>/ (vmlinux, bzImage, .config, "
                    "xen-notes.txt, build.log, ready). Skips the build when that directory is ready. The "
                    "last line on stdout is the directory.",
        epilog="Environment: MICA_CACHE overrides the cache directory ~/.cache/mica.")
    ap.add_argument("--print-dir", action="store_true",
                    help="print the output directory for the current inputs and exit")
    ap.add_argument("-j", "--jobs", type=int, default=len(os.sched_getaffinity(0)),
                    help="parallel make jobs (default: the number of usable CPUs)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="echo the kernel build output to stderr (it always goes to a log)")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep the temporary source tree after a failed build, for inspection")
    args = ap.parse_args()

    try:
        version = source_version()
        patches = read_series()
        key = build_key(version, patches)
        root = cache_root()
        outdir = os.path.join(root, "linux-" + key[:KEY_CHARS])
        if args.print_dir:
            print(outdir)
            return 0

        os.makedirs(root, exist_ok=True)
        with open(outdir + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent build of the same key waits here
            if os.path.exists(os.path.join(outdir, "ready")):
                say("already built")
                print(outdir)
                return 0
            check_host()
            workdir = tempfile.mkdtemp(prefix="linux-work-", dir=root)
            log_path = outdir + ".log"  # moves into the output directory on success
            if os.path.exists(log_path):
                os.remove(log_path)
            say("building in %s" % workdir)
            try:
                build(workdir, outdir, log_path, patches, version, key, max(1, args.jobs),
                      args.verbose)
            except BaseException:
                if args.keep_work:
                    say("work tree kept in %s (remove it when done)" % workdir)
                else:
                    shutil.rmtree(workdir, ignore_errors=True)
                raise
            shutil.rmtree(workdir)
        say("done in %.0f s" % (time.monotonic() - START))
        print(outdir)
        return 0
    except BuildError as e:
        print("build.py: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
