"""What the benchmarks measure: one declarative entry per workload.

A Workload is a command run in the guest (by the generated /usr/libexec/mica/test-bench-P
script, between `mica-bench: begin NAME` and `mica-bench: end NAME STATUS` lines) and the
metrics read off its output; each metric is one row of the table. A workload with
command=None is measured by the harness alone (the boot).

Platforms are native (no hypervisor), xen and mica. `commands` gives a platform its own
command; a platform missing from `commands` runs `command`. `absent` names the platforms
that cannot run the workload, each with the reason the table prints for its cells:
"n/a: ..." where the workload makes no sense there, "not yet: ..." where Mica lacks
something a later issue adds.

Metric kinds:
    value      group 1 of `pattern` in a line of the workload's output, times `scale`
    host_at    host seconds from QEMU's start to the first line matching `pattern`
    host_span  host seconds from the line matching `pattern` to the next one matching `end`
               (both searched in the workload's output, begin and end lines included)

To add a workload, append a Workload here; its rows appear in every table and JSON file,
and the quick bench suite of `make test` checks that they do.
"""
from dataclasses import dataclass, field


@dataclass
class Metric:
    name: str
    unit: str       # of the value as stored: "s" or "ns"
    what: str
    kind: str       # value | host_at | host_span
    pattern: str
    end: str = None
    scale: float = 1.0
    better: str = "lower"
    guest_clock: bool = False   # measured by the guest's clock (see CLOCK_CHECK)


@dataclass
class Workload:
    name: str
    what: str
    command: str = None
    quick_command: str = None
    commands: dict = field(default_factory=dict)   # platform -> command
    absent: dict = field(default_factory=dict)     # platform -> "n/a: ..." / "not yet: ..."
    metrics: list = field(default_factory=list)
    timeout: float = 300          # seconds for the workload in a full run
    quick_timeout: float = 120

    def command_for(self, platform, quick):
        if platform in self.absent:
            return None
        if platform in self.commands:
            return self.commands[platform]
        return self.quick_command if quick and self.quick_command else self.command


def workout_metric(name, what):
    return Metric(name, "ns", what, "value", r"^bench %s (\d+)$" % name, guest_clock=True)


# The same span timed by the guest's clock (ns) and by the host's (s). When they disagree by
# more than CLOCK_TOLERANCE and CLOCK_SLACK seconds (the console's delay on a busy host),
# the guest's clock was wrong in that boot, and each guest_clock metric of the boot is left
# out with that reason instead of being filed as a number.
CLOCK_CHECK = ("cpu_loop", "cpu_loop_host")
CLOCK_TOLERANCE = 0.15
CLOCK_SLACK = 0.25


WORKOUT = "/usr/bin/workout --seconds 0 --mem-mib 0 --workers 1"
NO_TOOLSTACK = "not yet: Mica has no toolstack until the mica CLI and mica-store (issue 5)"

WORKLOADS = [
    Workload(
        "boot", "QEMU start to the first line of /init",
        metrics=[
            Metric("boot_to_init", "s",
                   "host seconds from QEMU's start to the first line of /init (firmware, "
                   "hypervisor, kernel, initramfs unpacking)",
                   "host_at", r"^mica-bench: init$"),
            Metric("init_uptime", "s",
                   "the guest kernel's own uptime when /init starts (/proc/uptime)",
                   "value", r"^mica-bench: uptime ([\d.]+)$", guest_clock=True),
        ],
        timeout=240, quick_timeout=240),
    Workload(
        "workout", "tests/workout's timings (lmbench-style; mean over 1 s each, 0.1 s quick)",
        command=WORKOUT, quick_command=WORKOUT + " --quick",
        metrics=[
            workout_metric("null_syscall", "getppid() system call"),
            workout_metric("fork_exit", "fork, child _exit, parent waitpid"),
            workout_metric("fork_exec", "fork, exec of a static binary, wait"),
            workout_metric("page_fault", "first touch of an anonymous 4 KiB page"),
            workout_metric("mmap_munmap", "mmap and munmap of one anonymous page"),
            workout_metric("pipe_roundtrip",
                           "one-byte pipe round trip between two processes on one CPU "
                           "(two context switches)"),
        ],
        timeout=300, quick_timeout=120),
    Workload(
        "cpu", "a CPU-bound integer loop (tests/bench/guest/cpuloop.c; ratio ~1.0)",
        command="/usr/libexec/mica/bench/cpuloop 1000",
        quick_command="/usr/libexec/mica/bench/cpuloop 100",
        metrics=[
            Metric("cpu_loop", "ns", "10^9 rounds (10^8 quick) by the guest's clock",
                   "value", r"^bench cpu_loop (\d+)$", guest_clock=True),
            Metric("cpu_loop_host", "s", "the same loop by the host's clock (from its "
                   "`cpuloop: start` line to its result line): checks the guest's clock",
                   "host_span", r"^cpuloop: start$", end=r"^bench cpu_loop "),
        ],
        timeout=180, quick_timeout=60),
    Workload(
        "toolstack", "start the toolstack in dom0 and check it answers",
        command="/usr/libexec/mica/bench/xen-toolstack",
        absent={"native": "n/a: no hypervisor", "mica": NO_TOOLSTACK},
        metrics=[
            Metric("toolstack_start", "s",
                   "xenstored, xen-init-dom0 and xenconsoled started (then `xl info` and "
                   "`xl list` must show Domain-0)",
                   "host_span", r"^mica-bench: begin toolstack$",
                   end=r"^xen-toolstack: started$"),
        ],
        timeout=180, quick_timeout=120),
    Workload(
        "domu", "a PV domU of our kernel (128 MiB, 1 vCPU) created by the toolstack",
        command="/usr/libexec/mica/bench/xen-domu /usr/share/mica/bench/domU-bzImage "
                "/usr/share/mica/bench/domU-initramfs.cpio.gz",
        absent={"native": "n/a: no hypervisor", "mica": NO_TOOLSTACK},
        metrics=[
            Metric("domu_create", "s", "`xl create` until it returns (domain built, "
                   "kernel loaded, unpaused)", "host_span", r"^xen-domu: creating$",
                   end=r"^xen-domu: created$"),
            Metric("domu_boot_to_init", "s", "`xl create` until the domU's /init prints "
                   "its first line on its console", "host_span", r"^xen-domu: creating$",
                   end=r"^xen-domu: domU reached /init$"),
        ],
        timeout=300, quick_timeout=240),
]


def metrics():
    """[(workload, metric)] in table order."""
    return [(w, m) for w in WORKLOADS for m in w.metrics]
