#!/usr/bin/env python3
"""The dom0 tools on a live dom0: Mica under QEMU (2 CPUs, 1.5 GiB), our Linux as dom0 with
mica, mica-consoled, mica-store (static, from make tools) and Debian's xenstore-utils (with
the libraries ldd names) in its initramfs, and two guest kernels: our bzImage and Debian's
cloud kernel (guest-linux-patches/stock.py), each with a domU initramfs (the cloud kernel's
with its Xen modules). /init runs tests/cli/live/test-mica (mica.test=mica), which manages
Linux guests through their whole life; this checks what it printed and ends with
`N passed, N failed`.

usage: tests/cli/live.py [--keep]   (--keep: do not print the log's tail on failure)
The serial log is build/cli/live.log. One boot, 3-6 minutes under TCG; tests/cli/run.py
runs it after the host tests (in make test).
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
TIMEOUT = 1200
STORE_STATIC = "build/store/mica-store.static"  # make tools


def last_line(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s failed:\n%s" % (" ".join(map(str, cmd)), p.stderr[-3000:]))
    return p.stdout.strip().splitlines()[-1]


def xenstore_utils():
    """(source, path) pairs for Debian's xenstore-utils (one program that acts on the name
    it is run as) and the shared libraries ldd says it needs, where the loader looks."""
    prog = Path("/usr/bin/xenstore")
    if not prog.is_file():
        sys.exit("%s is missing: install xenstore-utils (make setup)" % prog)
    files = [(prog, "/usr/bin/xenstore-" + cmd)
             for cmd in ("ls", "read", "write", "rm", "watch", "list")]
    p = subprocess.run(["ldd", str(prog)], capture_output=True, text=True)
    if p.returncode:
        sys.exit("ldd %s failed: %s" % (prog, p.stderr))
    for line in p.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            files.append((os.path.realpath(m.group(1)), m.group(1)))
    return files


def control_plane_files():
    """What test-mica needs in dom0 beyond build()'s: Debian's cloud kernel and a domU
    initramfs that loads its Xen modules, the script, and xenstore-utils."""
    stock = Path(last_line(["guest-linux-patches/stock.py", "domU"]))
    domu_stock = last_line(["dom0-tools/initramfs/build.py", "--role", "domU", "--no-workout",
                            "--modules-from", str(stock)])
    return [(os.path.realpath(stock / "vmlinuz"), "/boot/vmlinuz-cloud"),
            (domu_stock, "/boot/domU-cloud.cpio.gz"),
            (LIVE / "test-mica", "/usr/libexec/mica/test-mica")] + xenstore_utils()


def build_tools(out=OUT):
    """make: the hypervisor and the dom0 tools (mica-store linked statically among them, as
    dom0's initramfs has no C library); returns the static mica-store. out is made."""
    p = subprocess.run(["make", "--no-print-directory", "-s", "build/mica.elf", "tools"],
                       cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        sys.exit("make failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    out.mkdir(parents=True, exist_ok=True)
    return ROOT / STORE_STATIC


def build(dom0_files=(), domu_files=()):
    """Builds everything the boot needs; returns (mica.elf, dom0 kernel, dom0 initramfs).
    dom0 gets mica, mica-consoled, mica-store, our bzImage and a domU initramfs (without the
    workout, for small guests); dom0_files and domu_files are more (source, path in the
    initramfs) pairs to add."""
    store = build_tools()
    kernel = Path(last_line(["guest-linux-patches/build.py"]))
    adds = lambda files: [a for src, dest in files for a in ("--add", "%s:%s" % (src, dest))]
    domu = last_line(["dom0-tools/initramfs/build.py", "--role", "domU", "--no-workout"] +
                     adds(domu_files))
    tools = ROOT / "build" / "tools"
    dom0 = last_line(["dom0-tools/initramfs/build.py", "--no-workout",
                      "--add", "%s:/usr/bin/mica" % (tools / "mica"),
                      "--add", "%s:/usr/sbin/mica-consoled" % (tools / "mica-consoled"),
                      "--add", "%s:/usr/sbin/mica-store" % store,
                      "--add", "%s:/boot/bzImage" % (kernel / "bzImage"),
                      "--add", "%s:/boot/domU.cpio.gz" % domu] + adds(dom0_files))
    return ROOT / "build" / "mica.elf", kernel / "vmlinux", dom0


def boot(hv, vmlinux, initramfs, test="mica", timeout=TIMEOUT, extra=None,
         hv_cmdline="console=com1 dom0_mem=512M qemu_exit=0xf4", memory="1G"):
    """Boots dom0 with mica.test=test in a machine of `memory`; returns the serial output.
    extra: more of dom0's command line (NAME=VALUE words become the environment of /init
    and the test); hv_cmdline: the hypervisor's."""
    mods = "%s console=hvc0 mica.test=%s%s,%s" % (vmlinux, test, " " + extra if extra else "",
                                                 initramfs)
    # qemu_exit: when dom0 powers off, the hypervisor halts and ends QEMU through isa-debug-exit.
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-nographic", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-smp", "2", "-m", memory,
           "-kernel", str(hv), "-append", hv_cmdline,
           "-initrd", mods]
    if os.environ.get("MICA_QEMU_QMP"):  # for scripts/qemu-sample.py
        cmd += ["-qmp", "unix:%s,server,nowait" % os.environ["MICA_QEMU_QMP"]]
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


def rc(text):
    """The exit status run() printed at the end of a section, or None."""
    m = re.findall(r"^mica-rc=(\d+)$", text, re.M)
    return int(m[-1]) if m else None


def error_exactly(log, title, message):
    """The command of section `title` failed with status 1 and printed exactly `message`."""
    text = section(log, title)
    return rc(text) == 1 and ("mica: " + message) in text.splitlines()


def own_lines(text):
    """The non-empty lines of text that dom0's script printed: not the hypervisor's own
    lines or domUs' early output, which the serial line interleaves with them."""
    return [l for l in text.splitlines() if l and not re.match(r"\((mica|d\d+)\) ", l)]


def state(text, name):
    """The state letters of `name` in `mica list` output."""
    m = re.search(r"^%s +\d+ +\d+ +\d+ +([-rbpscd]{6})" % re.escape(name), text, re.M)
    return m.group(1) if m else ""


def checks(log):
    free = dict(re.findall(r"^free (before|after cycles|after): (\d+)$", log, re.M))
    dom0 = dict(re.findall(r"^dom0 pages (before|after cycles|after): (\d+)$", log, re.M))
    total = {k: int(free[k]) + int(dom0[k]) for k in ("before", "after")
             if k in free and k in dom0}
    cycles = [(int(f), int(d)) for f, d in
              re.findall(r"^cycle \d+: free (\d+), dom0 (\d+)$", log, re.M)]
    lists = sections(log, "mica list")
    guests = ("crashd", "crashr", "crashp", "reb", "off", "idle1", "idle2", "stock")
    eight = lists[1] if len(lists) > 1 else ""
    monitors = section(log, "monitor logs")
    xsutils = section(log, "xenstore-utils")
    idle1_id = (re.search(r"^idle1 +(\d+)", eight, re.M) or [None, "?"])[1]
    return [
        ("dom0_ran_the_script", "mica-test: mica exit 0" in log),
        ("no_hypervisor_failure", not re.search(r"PANIC|\*\*\* EXCEPTION", log)),
        ("info", re.search(r"^nr_cpus +: 2$", section(log, "mica info"), re.M) and
         re.search(r"^xen_caps +: xen-3.0-x86_64$", section(log, "mica info"), re.M)),
        ("list_without_store", re.search(r"^Domain-0 +0 +\d+ +1 +r-----", lists[0], re.M)),
        ("list_json", '"name": "Domain-0"' in section(log, "mica list --json")),
        # Debian's xenstore-utils against mica-store, in dom0.
        ("xenstore_write", "write-rc=0" in xsutils),
        ("xenstore_read", "read: one two" in xsutils),
        ("xenstore_watch", "watch events: 2" in xsutils),
        ("xenstore_ls", own_lines(section(log, "xenstore-ls /mica-test"))[:5]
         == ['a = "one"', 'b = ""', ' c = "two"', 'w = "fired"', "ls-rc=0"]),
        ("xenstore_ls_guests", re.search(r'^ +name = "stock"$', section(
            log, "xenstore-ls /local/domain"), re.M)),
        # Every guest's store ring mapped through its grant, as Linux expects.
        ("store_ring_by_grant", len(re.findall(r"store ring mapped through grant reference 1$",
                                               section(log, "store log"), re.M)) ==
         len(re.findall(r"^\S+ \S+ mica-store info: domain \d+ introduced",
                        section(log, "store log"), re.M)) == 31),
        # Each bad configuration: its exact message, status 1.
        ("missing_kernel", error_exactly(
            log, "mica create /tmp/badkernel.cfg",
            "/tmp/badkernel.cfg:2: kernel: /boot/missing-kernel: No such file or directory")),
        ("memory_over_free", error_exactly(
            log, "mica create /tmp/badmem.cfg",
            "/tmp/badmem.cfg:4: memory: 1000000 MiB is more than the %s MiB free on this host; "
            "lower memory, or stop a guest ('mica list')"
            % (int(free.get("before", "0")) >> 8))),
        ("unknown_key", error_exactly(
            log, "mica create /tmp/badkey.cfg",
            "/tmp/badkey.cfg:6: memroy: unknown setting; did you mean memory?")),
        ("name_in_use", error_exactly(
            log, "name in use",
            "/tmp/idle1.cfg:1: name: a domain named \"idle1\" already exists (id %s); choose "
            "another name, or remove it with 'mica destroy idle1'" % idle1_id)),
        # 20 create/destroy cycles leave free memory exactly where it was.
        ("cycles", "cycles: 20, failures: 0" in log),
        # dom0's balloon driver may move a page between dom0 and the free pool at any
        # time, so the invariant is free memory plus dom0's pages, after every cycle.
        ("cycles_free_memory_back", len(total) == 2 and len(cycles) == 20 and
         all(f + d == total["before"] for f, d in cycles) and
         int(free["after cycles"]) + int(dom0["after cycles"]) == total["before"]),
        # 8 guests at once, our kernel and Debian's cloud kernel.
        ("eight_created", all(rc(section(log, "mica create %s/tmp/%s.cfg"
                                     % ("-c " if g == "idle2" else "", g))) == 0
                              for g in guests)),
        ("eight_up", all("%s up 1: 1" % g in log for g in guests)),
        ("eight_listed", all(re.fullmatch(r"[rb-]{2}----", state(eight, g) or
                                          "x") for g in guests)
         and len(re.findall(r"^(%s) " % "|".join(guests), eight, re.M)) == 8),
        # getvcpuinfo: both vCPUs online, each with its CPU and the time it has run.
        ("vcpu_list_json", rc(section(log, "mica vcpu-list --json off")) == 0 and
         section(log, "mica vcpu-list --json off").count('"online": true') == 2 and
         len([t for t in re.findall(r'"cpu_time_ns": (\d+)',
                                    section(log, "mica vcpu-list --json off")) if int(t)]) == 2),
        ("create_attaches_console", rc(section(log, "mica create -c /tmp/idle2.cfg")) == 0 and
         "typed-after-create-c 42" in section(log, "idle2's console")),
        ("stock_kernel_guest", re.search(r"typed-into-the-console 42 6\.1\.0-\d+-cloud-amd64",
                                         section(log, "stock's console"))),
        ("console_relays", "typed-into-off 42" in section(log, "off's console")),
        ("pause", state(section(log, "mica list idle1"), "idle1")[2:3] == "p"),
        ("unpause", '"paused": false' in section(log, "mica list --json idle1")),
        # sysrq-c: each on_crash action.
        ("crash_destroy", "shut down (crash): destroy" in monitors and
         "crashd" not in section(log, "mica list crashp")),
        ("crash_restart", "shut down (crash): restart" in monitors and
         "restarted crashr as domain" in monitors and "crashr up 2: 2" in log),
        ("crash_preserve", state(section(log, "mica list crashp"), "crashp")[4:5] == "c" and
         rc(section(log, "mica destroy crashp")) == 0),
        # reboot and shutdown through control/shutdown.
        ("reboot", rc(section(log, "mica reboot -w -t 180 reb")) == 0 and "reb up 2: 2" in log and
         "shut down (reboot): restart" in monitors),
        ("shutdown_ours", rc(section(log, "mica shutdown -w -t 180 off")) == 0 and
         "mica-init: poweroff requested" in section(log, "off's console")),
        ("shutdown_stock", rc(section(log, "mica shutdown -w -t 180 stock")) == 0 and
         "mica-init: poweroff requested" in section(log, "stock's console")),
        ("shutdown_by_poweroff", len(re.findall(r"shut down \(poweroff\): destroy", monitors))
         == 2),
        ("all_gone", not re.search(r"^(%s|\(unnamed\)) " % "|".join(guests), lists[-1], re.M)),
        # Every frame back: free memory plus what dom0 holds.
        ("free_memory_back", len(total) == 2 and total["before"] == total["after"]),
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
    # 8 guests at once (7 x 64 MiB, 1 x 128 MiB) beside dom0's 512 MiB.
    log = boot(*build(dom0_files=control_plane_files()), memory="1536M")
    (OUT / "live.log").write_text(log)
    return judge("live", checks(log), log, "build/cli/live.log", args.keep)


if __name__ == "__main__":
    sys.exit(main())
