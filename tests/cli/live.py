#!/usr/bin/env python3
"""The dom0 tools on a live dom0: Mica under QEMU, our Linux as dom0, mica, mica-consoled
and mica-store in its initramfs, and tests/cli/live/test-mica run by /init
(mica.test=mica). That script creates two Linux guests from our bzImage and a domU
initramfs: one that says hello and powers off (its monitor destroys it), one with a
shell that is typed into through `mica console`, paused, unpaused and destroyed.
This checks the output and ends with `N passed, N failed`.

usage: tests/cli/live.py [--keep]   (--keep: leave the serial log in build/cli/live.log)
Takes 2-4 minutes under TCG; `tests/cli/run.py --live` runs it after the host tests.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "tests" / "cli" / "live"
OUT = ROOT / "build" / "cli"
TIMEOUT = 900


def last_line(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s failed:\n%s" % (" ".join(map(str, cmd)), p.stderr[-3000:]))
    return p.stdout.strip().splitlines()[-1]


def build_tools(out=OUT):
    """make: the hypervisor, the dom0 tools and the store; returns a static mica-store in out."""
    p = subprocess.run(["make", "--no-print-directory", "-s", "build/mica.elf", "tools", "store"],
                       cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        sys.exit("make failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    out.mkdir(parents=True, exist_ok=True)
    # dom0's initramfs has no C library: mica-store linked statically from its objects.
    store = out / "mica-store"
    objs = sorted(str(o) for o in (ROOT / "build" / "store" / "obj").glob("*.o"))
    p = subprocess.run(["gcc", "-static", "-o", str(store)] + objs, capture_output=True, text=True)
    if p.returncode:
        sys.exit("linking mica-store statically failed:\n" + p.stderr)
    return store


def build(dom0_files=(), domu_files=()):
    """Builds everything the boot needs; returns (mica.elf, dom0 kernel, dom0 initramfs).
    dom0_files and domu_files are more (source, path in the initramfs) pairs to add."""
    store = build_tools()
    kernel = Path(last_line(["guest-linux-patches/build.py"]))
    adds = lambda files: [a for src, dest in files for a in ("--add", "%s:%s" % (src, dest))]
    domu = last_line(["dom0-tools/initramfs/build.py", "--role", "domU",
                      "--add", "%s:/usr/libexec/mica/test-hello" % (LIVE / "test-hello")] +
                     adds(domu_files))
    tools = ROOT / "build" / "tools"
    dom0 = last_line(["dom0-tools/initramfs/build.py",
                      "--add", "%s:/usr/bin/mica" % (tools / "mica"),
                      "--add", "%s:/usr/sbin/mica-consoled" % (tools / "mica-consoled"),
                      "--add", "%s:/usr/sbin/mica-store" % store,
                      "--add", "%s:/usr/libexec/mica/test-mica" % (LIVE / "test-mica"),
                      "--add", "%s:/boot/bzImage" % (kernel / "bzImage"),
                      "--add", "%s:/boot/domU.cpio.gz" % domu] + adds(dom0_files))
    return ROOT / "build" / "mica.elf", kernel / "vmlinux", dom0


def boot(hv, vmlinux, initramfs, test="mica", timeout=TIMEOUT, extra=None,
         hv_cmdline="console=com1 dom0_mem=512M qemu_exit=0xf4"):
    """Boots dom0 with mica.test=test; returns the serial output. extra: more of dom0's
    command line (NAME=VALUE words become the environment of /init and the test);
    hv_cmdline: the hypervisor's."""
    mods = "%s console=hvc0 mica.test=%s%s,%s" % (vmlinux, test, " " + extra if extra else "",
                                                 initramfs)
    # qemu_exit: when dom0 powers off, the hypervisor halts and ends QEMU through isa-debug-exit.
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-nographic", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-smp", "2", "-m", "1G",
           "-kernel", str(hv), "-append", hv_cmdline,
           "-initrd", mods]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           stdin=subprocess.DEVNULL, timeout=timeout)
        return p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return out + "\n[timed out after %d s]\n" % timeout


def sections(log, title):
    """Every part of the log after a line '== title', up to the next '== ' line."""
    return re.findall(r"^== %s\n(.*?)(?=^== |\Z)" % re.escape(title), log, re.M | re.S) or [""]


def section(log, title):
    return sections(log, title)[0]


def checks(log):
    free = re.findall(r"^free (before|after): (\d+)$", log, re.M)
    return [
        ("dom0_ran_the_script", r"mica-test: mica exit 0" in log),
        ("no_hypervisor_failure", not re.search(r"PANIC|\*\*\* EXCEPTION", log)),
        ("info", re.search(r"^nr_cpus +: 2$", section(log, "mica info"), re.M) and
         re.search(r"^xen_caps +: xen-3.0-x86_64$", section(log, "mica info"), re.M)),
        ("list_without_store", re.search(r"^Domain-0 +0 +\d+ +1 +r-----", section(log, "mica list"),
                                         re.M)),
        ("list_json", '"name": "Domain-0"' in section(log, "mica list --json")),
        ("vcpu_list", "Domain-0" in section(log, "mica vcpu-list")),
        ("create", "Created domain 1 (hello): 128 MiB, 1 vCPU" in log),
        ("guest_reached_userspace", "hello from the domU" in log),
        ("guest_console_logged", "hello from the domU" in section(log, "hello's console")),
        ("guest_has_xenbus", re.search(r"\bxenbus\b", section(log, "hello's console"))),
        ("monitor_destroyed_it", "domain 1 (hello) shut down (poweroff): destroy" in log),
        ("second_guest", "Created domain 2 (shell): 128 MiB, 2 vCPUs" in log),
        ("name_in_use", "name: a domain named \"shell\" already exists (id 2)" in log),
        ("console_relays", "typed-into-the-console 42" in section(log, "shell's console")),
        ("pause", re.search(r"^shell +2 +128 +2 +..p", section(log, "mica list shell"), re.M)),
        ("unpause", '"paused": false' in section(log, "mica list --json shell")),
        ("destroy", "destroyed shell (2)" in section(log, "mica destroy shell")),
        ("all_gone", not re.search(r"^(hello|shell|\(unnamed\)) ", sections(log, "mica list")[-1],
                                   re.M)),
        ("free_memory_back", len(free) == 2 and free[0][1] == free[1][1]),
    ]


def judge(prefix, results, log, log_name, keep):
    """Prints PASS/FAIL prefix_NAME per (name, ok) and the counts; returns the exit status."""
    passed = failed = 0
    for name, ok in results:
        if ok:
            print("PASS %s_%s" % (prefix, name))
            passed += 1
        else:
            print("FAIL %s_%s (serial log: %s)" % (prefix, name, log_name))
            failed += 1
    if failed and not keep:
        print(log[-6000:])
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description="The dom0 tools on a live dom0 under QEMU.")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    log = boot(*build())
    (OUT / "live.log").write_text(log)
    return judge("live", checks(log), log, "build/cli/live.log", args.keep)


if __name__ == "__main__":
    sys.exit(main())
