#!/usr/bin/env python3
"""Where a QEMU machine's time goes: samples every vCPU's instruction pointer through QEMU's
monitor (QMP) and names the function it is in, for the hypervisor and a Linux kernel, with the
hypervisor's call chains (it is built with frame pointers).

usage: scripts/qemu-sample.py SOCKET [--seconds N] [--hv ELF] [--linux VMLINUX] [--top N]
                              [--no-stacks] [--json]
  SOCKET        QEMU's QMP socket: tests/cli/live.py's boots add one when MICA_QEMU_QMP names
                a path, e.g.  MICA_QEMU_QMP=/tmp/q.sock tests/pvdrivers/live_net.py --mb 20 &
                then, once the work to look at runs:  scripts/qemu-sample.py /tmp/q.sock
  --seconds N   sample for N seconds (default 60; less if the machine ends first)
  --hv ELF      the hypervisor (default build/mica.elf); --linux: the guests' vmlinux (the
                last line of guest-linux-patches/build.py names its directory)
  --top N       functions to list (default 30); --no-stacks: no call chains (faster sampling)
  --json        print {"samples": N, "classes": {...}, "functions": {...}, "stacks": {...}}

Each sample stops the machine for a moment ('info registers -a', and for a vCPU in the
hypervisor a few 'x' reads along its frame-pointer chain), so rates shift a little; the
shares are what to read. A vCPU at CPL 0 is in the hypervisor; at CPL 3 above the canonical
hole it is in a guest kernel (one vmlinux names them all), else in guest user space.
Exit status: 0, 1 when the socket cannot be reached or nothing was sampled, 2 on bad usage.
"""
import argparse
import bisect
import collections
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL_HALF = 0xffff800000000000


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.f = self.sock.makefile("rw")
        self.f.readline()  # the greeting
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args} if args else
                                {"execute": cmd}) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("QEMU closed the monitor")
            r = json.loads(line)
            if "return" in r or "error" in r:
                return r.get("return", "")

    def hmp(self, text):
        return self.call("human-monitor-command", **{"command-line": text})


class Symbols:
    """An ELF's functions (nm -S: address, size, name)."""
    def __init__(self, elf):
        self.addrs, self.ends, self.names, self.text_end = [], [], [], 1 << 64
        if not elf:
            return
        out = subprocess.run(["nm", "-n", "-S", str(elf)], capture_output=True, text=True)
        if out.returncode:
            sys.exit("nm %s failed: %s" % (elf, out.stderr.strip()))
        for line in out.stdout.splitlines():
            a = line.split()
            if len(a) == 3:  # no size (assembly): up to the next symbol
                a = [a[0], None] + a[1:]
            if len(a) == 4 and a[2] in "tTwW":
                self.addrs.append(int(a[0], 16))
                self.ends.append(int(a[0], 16) + int(a[1], 16) if a[1] else None)
                self.names.append(a[3])
        # Mica's linker script marks the end of its code (data and boot code lie beyond).
        self.text_end = next((a for a, n in zip(self.addrs, self.names) if n == "__text_end"),
                             1 << 64)

    def name(self, addr, strict=False):
        """The function holding addr; with strict, None outside every function."""
        i = bisect.bisect_right(self.addrs, addr) - 1
        if strict and not KERNEL_HALF <= addr < self.text_end:
            return None
        if i >= 0 and (not strict or self.ends[i] is None or addr < self.ends[i]):
            return self.names[i]
        return None if strict else "0x%x" % addr


def sample(q, stacks):
    """One (rip, cpl, [return addresses]) per vCPU."""
    out = []
    for cpu, block in enumerate(re.split(r"CPU#\d+", q.hmp("info registers -a"))[1:]):
        regs = {k: re.search(k + r"=([0-9a-f]+)", block) for k in ("RIP", "RBP", "CPL")}
        if not all(regs.values()):
            continue
        rip, rbp, cpl = (int(regs[k].group(1), 16) for k in ("RIP", "RBP", "CPL"))
        chain = []
        if cpl == 0 and stacks:
            q.hmp("cpu %d" % cpu)
            for _ in range(6):
                if rbp < KERNEL_HALF:
                    break
                words = re.findall(r"0x([0-9a-f]{16})", q.hmp("x/2gx 0x%x" % rbp).split(":", 1)[-1])
                if len(words) < 2:
                    break
                rbp, ret = int(words[0], 16), int(words[1], 16)
                chain.append(ret)
        out.append((rip, cpl, chain))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("socket")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hv", default=str(ROOT / "build" / "mica.elf"))
    ap.add_argument("--linux")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--no-stacks", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        q = Qmp(args.socket)
    except (OSError, ConnectionError, ValueError) as e:
        print("cannot reach QEMU's monitor at %s (%s): start QEMU with -qmp unix:%s,server,nowait "
              "(MICA_QEMU_QMP for the live tests)" % (args.socket, e, args.socket), file=sys.stderr)
        return 1
    hv, lx = Symbols(args.hv), Symbols(args.linux)
    samples = []
    try:
        end = time.time() + args.seconds
        while time.time() < end:
            samples += sample(q, not args.no_stacks)
            time.sleep(0.02)
    except (OSError, ConnectionError):
        pass  # the machine ended: report what was taken
    if not samples:
        print("no samples taken", file=sys.stderr)
        return 1
    classes, funcs, chains = collections.Counter(), collections.Counter(), collections.Counter()
    for rip, cpl, chain in samples:
        if cpl == 0:
            classes["hypervisor"] += 1
            name = "hv:" + hv.name(rip)
            if chain:
                callers = [hv.name(r, strict=True) for r in chain]
                callers = callers[:callers.index(None)] if None in callers else callers
                chains[" < ".join([hv.name(rip)] + callers)] += 1
        elif rip >= KERNEL_HALF:
            classes["guest kernel"] += 1
            name = "linux:" + lx.name(rip) if lx.addrs else "linux"
        else:
            classes["guest user"] += 1
            name = "user"
        funcs[name] += 1
    n = len(samples)
    if args.json:
        print(json.dumps({"samples": n, "classes": dict(classes),
                          "functions": dict(funcs.most_common(args.top)),
                          "stacks": dict(chains.most_common(args.top))}, indent=1))
        return 0
    print("%d samples (vCPU instruction pointers)" % n)
    for k, v in classes.most_common():
        print("%-14s %6d %5.1f%%" % (k, v, 100.0 * v / n))
    print("-- functions")
    for k, v in funcs.most_common(args.top):
        print("%6d %5.1f%% %s" % (v, 100.0 * v / n, k))
    if chains:
        print("-- hypervisor call chains")
        for k, v in chains.most_common(args.top):
            print("%6d %5.1f%% %s" % (v, 100.0 * v / n, k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
