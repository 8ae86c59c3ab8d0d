#!/usr/bin/env python3
"""Fetch and unpack Debian's stock Linux 6.1 kernel, the second guest kernel Mica must boot.

Flavours: amd64 (Debian's general kernel, used as dom0) and cloud-amd64 (the cloud kernel, used
as domU). The current ABI name (6.1.0-N) is resolved from the metapackage linux-image-FLAVOUR,
the package is fetched with `apt-get download` and unpacked with `dpkg-deb -x` (no maintainer
scripts run, nothing touches the host's /boot) into ~/.cache/mica/stock-<version>-<flavour>/:

    boot/, lib/modules/<abi>/, usr/   the package's files, as packed
    vmlinuz -> boot/vmlinuz-<abi>     bzImage (xz payload)
    config  -> boot/config-<abi>
    System.map -> boot/System.map-<abi>
    modules -> lib/modules/<abi>
    ready                             stamp written last: package, version, abi

When `ready` exists nothing is fetched. The last line on stdout is the directory.
Set MICA_CACHE to use another cache directory than ~/.cache/mica.
"""

import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile

FLAVOURS = {"amd64": "amd64", "cloud-amd64": "cloud-amd64", "dom0": "amd64", "domU": "cloud-amd64"}
SERIES = "6.1.0"  # the ABI series this project supports


class StockError(Exception):
    """A failure the user can act on; the message says what to do."""


def say(msg):
    print("stock.py: %s" % msg, file=sys.stderr, flush=True)


def cache_root():
    return os.environ.get("MICA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mica")


def run(argv, cwd=None):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"))
    except FileNotFoundError:
        raise StockError("%s not found: this script needs a Debian host with apt and dpkg" % argv[0])
    return p


def resolve(flavour):
    """Return (image package, its candidate version, ABI name) for a flavour."""
    meta = "linux-image-" + flavour
    p = run(["apt-cache", "depends", meta])
    pattern = re.compile(r"\s*Depends: (linux-image-(%s-\d+-%s))$"
                         % (re.escape(SERIES), re.escape(flavour)))
    found = [m for m in map(pattern.match, p.stdout.splitlines()) if m]
    if p.returncode != 0 or not found:
        raise StockError("apt does not know %s or its candidate is not a %s kernel: run "
                         "apt-get update (the host must be Debian 12 bookworm with the security "
                         "suite enabled)" % (meta, SERIES))
    package, abi = found[0].group(1), found[0].group(2)
    p = run(["apt-cache", "show", "--no-all-versions", package])
    m = re.search(r"^Version: (\S+)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise StockError("apt-cache show %s gave no version: run apt-get update" % package)
    return package, m.group(1), abi


def fetch(package, version, abi, outdir, root):
    work = tempfile.mkdtemp(prefix="stock-work-", dir=root)
    try:
        say("downloading %s %s" % (package, version))
        p = run(["apt-get", "download", "%s=%s" % (package, version)], cwd=work)
        debs = [f for f in os.listdir(work) if f.endswith(".deb")]
        if p.returncode != 0 or len(debs) != 1:
            raise StockError("apt-get download %s=%s failed: %s (run apt-get update and retry)"
                             % (package, version, (p.stderr or p.stdout).strip()[-400:]))
        tree = os.path.join(work, "tree")
        say("unpacking %s" % debs[0])
        p = run(["dpkg-deb", "-x", os.path.join(work, debs[0]), tree])
        if p.returncode != 0:
            raise StockError("dpkg-deb -x %s failed: %s" % (debs[0], p.stderr.strip()))
        links = {"vmlinuz": "boot/vmlinuz-" + abi, "config": "boot/config-" + abi,
                 "System.map": "boot/System.map-" + abi, "modules": "lib/modules/" + abi}
        for name, target in links.items():
            if not os.path.exists(os.path.join(tree, target)):
                raise StockError("%s has no %s: the package layout changed, update stock.py"
                                 % (debs[0], target))
            os.symlink(target, os.path.join(tree, name))
        if os.path.exists(outdir):
            shutil.rmtree(outdir)  # left over from an interrupted run: it has no ready stamp
        os.rename(tree, outdir)
        with open(os.path.join(outdir, "ready"), "w") as f:
            f.write("package %s\nversion %s\nabi %s\n" % (package, version, abi))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description="Fetch Debian's stock Linux 6.1 kernel package for a flavour with apt-get "
                    "download and unpack it into ~/.cache/mica/stock-<version>-<flavour>/ "
                    "(vmlinuz, config, System.map, modules, ready). Nothing is installed. The last "
                    "line on stdout is the directory.",
        epilog="Environment: MICA_CACHE overrides the cache directory ~/.cache/mica.")
    ap.add_argument("flavour", choices=sorted(FLAVOURS),
                    help="amd64 (alias dom0) or cloud-amd64 (alias domU)")
    ap.add_argument("--print-dir", action="store_true",
                    help="print the directory for the current candidate version and exit")
    args = ap.parse_args()
    flavour = FLAVOURS[args.flavour]

    try:
        package, version, abi = resolve(flavour)
        root = cache_root()
        outdir = os.path.join(root, "stock-%s-%s" % (version, flavour))
        if args.print_dir:
            print(outdir)
            return 0
        os.makedirs(root, exist_ok=True)
        with open(outdir + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent fetch of the same package waits here
            if os.path.exists(os.path.join(outdir, "ready")):
                say("%s %s already unpacked" % (package, version))
            else:
                fetch(package, version, abi, outdir, root)
        print(outdir)
        return 0
    except StockError as e:
        print("stock.py: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stock.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
