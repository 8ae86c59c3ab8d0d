"""Linux 6.1 as Mica's dom0, used from its console as a person would.

Our kernel (guest-linux-patches/build.py's ELF vmlinux) and Debian's stock amd64 kernel
(stock.py's xz bzImage, with its Xen modules in the initramfs) boot on Mica as dom0 with the
initramfs of dom0-tools/initramfs/build.py, in the machine the benchmarks' Mica system uses
(tests/bench/systems.py: QEMU -smp 2 -m 3G; Mica `qemu_exit=0xf4 dom0_mem=512M
dom0_vcpus=2`; the kernel with `console=hvc0` and the image as Multiboot modules), which is
also what `make run` boots, with an initramfs of its own (the toolstack and a guest).
`same_as_bench` and `make_run` check that the three agree.

Every boot gets to the shell on hvc0 and types commands there: `echo`, /proc/xen/capabilities
(control_d), /dev/xen, `nproc`, `date +%s` against the host clock, `sleep 5` timed on the host
between two console lines, and dmesg searched for WARNING:, BUG:, Oops and Call Trace. The
2-vCPU boots also run the quick workout from the shell. `poweroff -f` then ends the machine:
Mica halts and QEMU exits with status 1. See docs/linux-dom0.md.
"""
import os
import re
import shlex
import signal
import sys
import time
from pathlib import Path

import qemu
from systest import ELF, EXIT_OK, FAILURE_LINES, QEMU_EXIT, REPO, TestFailure, info, params
from test_native_workout import (BENCHMARKS, LINUX_FAILURES, USERSPACE_UP, WORKOUT_PASS,
                                 initramfs, our_kernel, stock_dir)

# The benchmarks' Mica system (tests/bench/systems.py) and make run's defaults.
SMP = 2
MEMORY = "3G"
DOM0_MEM = "512M"
LINUX_CMDLINE = "console=hvc0"

PROMPT = r"mica-dom0:/# $"
POWERED_OFF = info(r"dom0 powered off: halting the machine$")
# What dmesg must not contain: the kernel's warnings, bugs and oopses. The shell gets it
# with a letter in brackets, so that the console's echo of the command does not match it.
DMESG_BAD = r"WARNING:|BUG:|Oops|Call Trace"
DMESG_GREP = r"W[A]RNING:|B[U]G:|O[o]ps|C[a]ll Trace"
# Console lines that mean Linux (or the hypervisor) went wrong; the shell's echo of a typed
# command line is not checked (it may contain these words).
CONSOLE_BAD = (*LINUX_FAILURES, *FAILURE_LINES)

BOOT_TIMEOUT = 600     # TCG on a busy 2-CPU host: ours reaches the prompt in 5-60 s,
                       # the stock kernel in 30-120 s (4 vCPUs are the slowest)
WORKOUT_TIMEOUT = 900  # the quick workout from the shell: 25-60 s unloaded
# `date +%s` against the host clock. The hypervisor reads the RTC's whole seconds at boot and
# adds half a second (+-0.5 s); Linux sets its clock from that in time_init, then keeps time
# with jiffies until a real clocksource takes over at fs_initcall, and loses the ticks that
# come late or while interrupts are off: 0.1-1.5 s under TCG, up to 4 s measured on a loaded
# 2-CPU host (docs/linux-dom0.md). So dom0 may be behind by up to DATE_BEHIND seconds, and
# ahead by no more than DATE_AHEAD.
DATE_BEHIND = 5.0
DATE_AHEAD = 1.0
# `sleep 5` timed on the host between the console lines before and after it. Linux never
# wakes early in its own time, so less than 5 s means dom0's clock runs fast; the two lines
# leave through the same console path, whose delays differ by far less than the 0.2 s
# allowed. Above: the timer wake-up (Mica's timer, the event upcall, Linux's hrtimer) and
# the next line's output under TCG on a loaded host; 1 s covers it (measured: 4.99-5.04 s),
# and a clock 20% slow still fails.
SLEEP_MIN, SLEEP_MAX = 4.8, 6.0


def mica_args(kernel, image, vcpus=SMP, linux=""):
    """(hypervisor command line, QEMU extra arguments) of the benchmarks' Mica system."""
    cmdline = f"{QEMU_EXIT} dom0_mem={DOM0_MEM} dom0_vcpus={vcpus}"
    module = " ".join(filter(None, [str(kernel), LINUX_CMDLINE, linux]))
    return cmdline, ["-initrd", f"{module},{image}"]


def ours():
    """Our kernel as dom0 boots it: the ELF vmlinux beside the bzImage."""
    return our_kernel().parent / "vmlinux", initramfs()


def stock():
    return stock_dir() / "vmlinuz", initramfs("--modules-from", str(stock_dir()))


class Dom0:
    """dom0's console shell: commands typed in, their output and exit status read back."""

    def __init__(self, vm):
        self.vm = vm
        self.count = 0
        self.problems = []

    def run(self, command, timeout=60):
        """Types `command` framed by two marker lines; returns (status, output lines)."""
        self.count += 1
        begin, end = f"@@{self.count}b", f"@@{self.count}e"
        # The end line repeats its marker, so a line still arriving cannot match early.
        self.vm.sendline(f"echo {begin}; {command}; echo {end} $? {end}")
        status = int(self.vm.wait_for(rf"^{end} (\d+) {end}$", timeout=timeout)[1])
        lines = list(self.vm.lines)
        first = max(i for i, line in enumerate(lines) if line == begin) + 1
        last = next((i for i in range(first, len(lines)) if lines[i].startswith(end)),
                    len(lines))
        self.vm.wait_for(PROMPT, timeout=30)
        return status, lines[first:last]

    def expect(self, command, pattern, what):
        """Runs a command that must succeed with some output line matching `pattern`."""
        status, out = self.run(command)
        if status or not any(re.search(pattern, line) for line in out):
            self.problems.append(f"{what}: `{command}` gave status {status} and {out!r}")
        return out

    def check_basics(self, vcpus):
        self.expect("echo hello from dom0 $((6 * 7))", r"^hello from dom0 42$", "echo")
        self.expect("cat /proc/xen/capabilities", r"^control_d$", "xenfs capabilities")
        out = self.expect("ls /dev/xen", r"privcmd", "/dev/xen")
        names = " ".join(out).split()
        missing = [n for n in ("evtchn", "gntdev", "privcmd", "xenbus", "xenbus_backend")
                   if n not in names]
        if missing:
            self.problems.append(f"/dev/xen lacks {', '.join(missing)}: {names}")
        self.expect("nproc", rf"^{vcpus}$", f"nproc (dom0_vcpus={vcpus})")

    def check_date(self):
        before = time.time()
        status, out = self.run("date +%s")
        after = time.time()
        try:
            guest = int(out[-1])
        except (IndexError, ValueError):
            self.problems.append(f"date +%s printed {out!r}")
            return
        # date truncates: dom0's clock read guest..guest+1 at a moment in before..after.
        if guest + 1 - before < -DATE_BEHIND or guest - after > DATE_AHEAD:
            self.problems.append(f"date +%s in dom0 is {guest}, the host's clock was "
                                 f"{before:.1f}..{after:.1f} (allowed: {DATE_BEHIND} s "
                                 f"behind, {DATE_AHEAD} s ahead)")

    def check_sleep(self):
        self.count += 1
        begin, end = f"@@{self.count}s sleep-begin", f"@@{self.count}s sleep-end"
        self.vm.sendline(f"echo {begin}; sleep 5; echo {end}")
        self.vm.wait_for(rf"^{begin}$")
        start = time.monotonic()
        self.vm.wait_for(rf"^{end}$", timeout=60)
        seconds = time.monotonic() - start
        self.vm.wait_for(PROMPT)
        if not SLEEP_MIN <= seconds <= SLEEP_MAX:
            self.problems.append(f"sleep 5 took {seconds:.2f} s of the host's time "
                                 f"(allowed: {SLEEP_MIN}-{SLEEP_MAX} s)")
        return seconds

    def check_dmesg(self, when):
        status, out = self.run(f"dmesg | grep -E '{DMESG_GREP}'")
        if out:
            self.problems.append(f"dmesg {when} has {len(out)} lines matching {DMESG_BAD}; "
                                 f"the first: {out[0].strip()}")

    def check_workout(self, command="/usr/libexec/mica/test-workout-quick"):
        status, out = self.run(command, timeout=WORKOUT_TIMEOUT)
        text = "\n".join(out)
        missing = [p for p in (WORKOUT_PASS, *(rf"^bench {b} \d+$" for b in BENCHMARKS))
                   if not re.search(p, text, re.M)]
        if status or missing:
            problems = [line for line in out if "workout: FAIL" in line or "problem" in line]
            self.problems.append(f"{command} exited with {status}, missing "
                                 f"{missing}: {problems[:3]}")

    def power_off(self):
        """poweroff -f: dom0 shuts down, Mica halts, QEMU exits with status 1."""
        self.vm.sendline("poweroff -f")
        self.vm.wait_for(POWERED_OFF, timeout=120)
        status = self.vm.wait(30)
        if status != EXIT_OK:
            self.problems.append(f"after poweroff -f: {qemu.describe_status(status)}")

    def check_console(self):
        """No console line (other than a typed command) shows a failure."""
        bad = [rx for rx in map(re.compile, CONSOLE_BAD)]
        for line in self.vm.lines:
            if line.startswith("mica-dom0:/#"):
                continue
            if any(rx.search(line) for rx in bad):
                self.problems.append(f"console: {line.strip()}")
                break


def use_dom0(t, kernel, image, vcpus=SMP, workout=False, expect_console=(),
             workout_command=None):
    """Boots Mica with this dom0 and goes through the checks on its shell."""
    cmdline, extra = mica_args(kernel, image, vcpus)
    with t.machine(kernel=ELF, cmdline=cmdline, smp=vcpus, memory=MEMORY, extra=extra) as vm:
        dom0 = Dom0(vm)
        try:
            vm.wait_for(USERSPACE_UP, timeout=BOOT_TIMEOUT)
            vm.wait_for(PROMPT, timeout=120)
            dom0.check_basics(vcpus)
            dom0.check_date()
            dom0.check_sleep()
            dom0.check_dmesg("after boot")
            if workout:
                dom0.check_workout(*([workout_command] if workout_command else []))
                dom0.check_dmesg("after the workout")
            dom0.power_off()
        except qemu.QemuError as e:
            dom0.problems.append(str(e))
        dom0.check_console()
        text = vm.output()
        dom0.problems += [f"missing console line /{p}/" for p in expect_console
                          if not re.search(p, text, re.M)]
    if dom0.problems:
        raise TestFailure("dom0 checks failed:\n  " + "\n  ".join(dom0.problems) +
                          f"\nlog: {vm.log_path}")


def test_ours(t):
    """Our kernel as dom0 on 2 vCPUs: the shell, xenfs, the clock, a clean dmesg, the quick
    workout, poweroff."""
    use_dom0(t, *ours(), workout=True)


def test_stock(t):
    """Debian's stock kernel the same way; /init loads its Xen modules, all six this time."""
    loaded = (r"^mica-init: modules loaded: xen-blkfront xen-netfront xen-privcmd xenfs "
              r"xen-evtchn xen-gntdev$")
    use_dom0(t, *stock(), workout=True, expect_console=[loaded])


def test_ours_long_workout(t):
    """Our kernel as dom0 on 2 vCPUs: the full workout for two minutes on every vCPU at once
    (fork/exec, threads, pipes, signals, mmap/mprotect, fault storms, COW, FPU/SSE/AVX state,
    a RAM fill and verify) without an error."""
    use_dom0(t, *ours(), workout=True, workout_command="/usr/bin/workout --seconds 120")


@params(1, 4)
def test_vcpus(t, vcpus):
    """Our kernel with dom0_vcpus=N on N CPUs: nproc says N, the clock is right."""
    use_dom0(t, *ours(), vcpus=vcpus)


def test_same_as_bench(t):
    """The benchmarks boot Mica and dom0 as these tests do: the same QEMU arguments, the
    hypervisor command line, the kernel file and its console (no boot)."""
    sys.path.insert(0, str(REPO / "tests" / "bench"))
    import systems

    class Inputs:
        def our_kernel(self):
            return Path("/kernels/ours")

        def stock_kernel(self):
            return Path("/kernels/stock")

        def image(self, kernel):
            return Path(f"/images/{kernel}.cpio.gz")

    problems = []
    if (systems.SMP, systems.MEMORY, systems.GUEST_MEM) != (SMP, MEMORY, DOM0_MEM):
        problems.append(f"the benchmarks use -smp {systems.SMP} -m {systems.MEMORY} "
                        f"dom0_mem={systems.GUEST_MEM}; these tests -smp {SMP} -m {MEMORY} "
                        f"dom0_mem={DOM0_MEM}")
    for name, kernel in (("mica-ours", "/kernels/ours/vmlinux"), ("mica",
                                                                 "/kernels/stock/vmlinuz")):
        argv, status = systems.SYSTEMS[name].prepare(Inputs())
        i = argv.index("-initrd")
        module, image = argv[i + 1].rsplit(",", 1)
        path, _, linux = module.partition(" ")
        cmdline, extra = mica_args(path, image, SMP, linux[len(LINUX_CMDLINE):].strip())
        mine = qemu.machine_args(kernel=ELF, append=cmdline, smp=SMP, memory=MEMORY,
                                 extra=extra)
        if path != kernel or not linux.startswith(LINUX_CMDLINE + " "):
            problems.append(f"{name}: the benchmarks' dom0 module is {module!r}, expected "
                            f"{kernel} {LINUX_CMDLINE} ...")
        if argv != mine or status != EXIT_OK:
            problems.append(f"{name}: the benchmarks run {shlex.join(map(str, argv))} "
                            f"(status {status}); these tests {shlex.join(mine)}")
    if problems:
        raise TestFailure("\n".join(problems))


# make's variables that would make `make run` think it is a sub-make of `make test`.
MAKE_ENV = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")


def make_run(t, what, make_args, session):
    """Runs `make run MAKE_ARGS` as a person types it: checks the QEMU command it prints,
    then session(vm, dom0) at dom0's prompt, then `poweroff -f`, which must end make with
    status 0."""
    argv = ["env", *(f"-u{v}" for v in MAKE_ENV), "setsid", "make", "--no-print-directory",
            "-C", str(REPO), "run", *make_args]
    vm = qemu.Qemu(argv, t.next_log()).start()
    dom0 = Dom0(vm)
    try:
        # A cold kernel build comes first (5-10 minutes); cached it is a second.
        shown = vm.wait_for(r"^\+ (qemu-system-\S+ .*\.cpio\.gz')$", timeout=1800)[1]
        check_machine(dom0, shown)
        vm.wait_for(USERSPACE_UP, timeout=BOOT_TIMEOUT)
        vm.wait_for(r"^mica-init: toolstack up: mica-store, mica-consoled$", timeout=120)
        session(vm, dom0)
        vm.sendline("poweroff -f")
        vm.wait_for(POWERED_OFF, timeout=120)
        status = vm.wait(60)
        if status != 0:
            dom0.problems.append(f"make run exited with status {status} after poweroff -f, "
                                 "expected 0")
    except qemu.QemuError as e:
        dom0.problems.append(str(e))
    finally:
        if vm.running():
            os.killpg(vm.proc.pid, signal.SIGKILL)
        vm.stop()
    if dom0.problems:
        raise TestFailure(what + ": " + "\n  ".join(dom0.problems) + f"\nlog: {vm.log_path}")


def check_machine(dom0, shown):
    """make run boots the machine, hypervisor command line and dom0 kernel of the tests
    above and of the benchmarks (test_same_as_bench); its initramfs is its own (it carries
    the toolstack and the guest), so only that path may differ."""
    ran = shlex.split(shown)
    image = ran[ran.index("-initrd") + 1].rsplit(",", 1)[-1] if "-initrd" in ran else "?"
    cmdline, extra = mica_args(our_kernel().parent / "vmlinux", image)
    expected = qemu.machine_args(kernel=ELF, append=cmdline, smp=SMP, memory=MEMORY,
                                 extra=extra)
    if "-kernel" in ran:
        k = ran.index("-kernel") + 1
        ran[k] = str((REPO / ran[k]).resolve())
    expected[0] = os.path.basename(expected[0])
    if ran != expected:
        dom0.problems.append(f"make run ran {shlex.join(ran)}, expected "
                             f"{shlex.join(expected)}")


GUEST_LOG = "/var/log/mica/console/guest.log"
GUEST_UP = "mica-init: domU userspace up"
GUEST_UP_GREP = "mica-init: domU userspace u[p]"  # the shell's echo does not match it
GUEST_PROMPT = r"mica-domU:/# $"
# `mica list`: the guest with the example configuration's 256 MiB, running or blocked (not
# paused, shut down, crashed or dying); vCPUs online: 1 until its kernel brings up the second.
GUEST_LISTED = r"^guest +\d+ +256 +[12] +[r-][b-]---- "


def test_make_run(t):
    """`make run` as a person types it: the QEMU command is the tests' and the benchmarks'
    machine; dom0's /init starts the toolstack, creates the default guest in the background
    and prints how to use it; the guest reaches its user space without writing its console
    on dom0's; `mica list` shows it running; `mica console guest` reaches its shell, a typed
    command answers, Ctrl-] comes back to dom0's shell; `poweroff -f` ends make with
    status 0."""
    def session(vm, dom0):
        vm.wait_for(r"^The guest 'guest' is being created in the background", timeout=60)
        vm.wait_for(r"^poweroff -f ends dom0, Mica and QEMU\.$", timeout=60)
        vm.wait_for(PROMPT, timeout=120)
        dom0.expect(f"i=0; until grep -q '{GUEST_UP_GREP}' {GUEST_LOG} 2>/dev/null || "
                    f"[ $i -ge 150 ]; do sleep 2; i=$((i+1)); done; grep -c "
                    f"'{GUEST_UP_GREP}' {GUEST_LOG}", r"^1$",
                    "the default guest reaches its user space")
        if any(GUEST_UP in line for line in vm.lines):
            dom0.problems.append("the guest's console output reached dom0's console")
        dom0.expect("mica list", GUEST_LISTED, "mica list shows the guest running")
        vm.sendline("mica console guest")
        vm.wait_for(r"^Connected to the console of guest \(\d+\); Ctrl-\] detaches\.$")
        vm.sendline("")
        vm.wait_for(GUEST_PROMPT, timeout=60)
        vm.sendline("echo typed $((6*7)) in $(hostname)")
        vm.wait_for(r"^typed 42 in mica-domU$", timeout=60)
        vm.send("\x1d")
        vm.wait_for(PROMPT, timeout=60)
        dom0.expect("hostname", r"^mica-dom0$", "Ctrl-] comes back to dom0's shell")
    make_run(t, "make run", [], session)


def test_make_run_dom0_only(t):
    """`make run RUN_GUEST=0`: the toolstack without a guest; at the prompt a person
    creates the example guest, sees it in `mica list` and destroys it; then `poweroff -f`
    ends make with status 0."""
    def session(vm, dom0):
        vm.wait_for(r"^No guest yet: mica create -c /etc/mica/guest\.cfg boots one",
                    timeout=60)
        vm.wait_for(PROMPT, timeout=120)
        status, out = dom0.run("mica list guest")
        if status != 1:
            dom0.problems.append(f"RUN_GUEST=0 has a guest: {out!r}")
        dom0.expect("mica create /etc/mica/guest.cfg",
                    r"^Created domain \d+ \(guest\): 256 MiB, 2 vCPUs", "mica create")
        dom0.expect("mica list guest", GUEST_LISTED, "mica list")
        dom0.expect("mica destroy guest; mica list guest; echo listed $?", r"^listed 1$",
                    "mica destroy")
    make_run(t, "make run RUN_GUEST=0", ["RUN_GUEST=0"], session)
