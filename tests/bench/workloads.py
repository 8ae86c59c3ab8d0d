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
    absent: dict = field(default_factory=dict)  # platform -> reason, as Workload.absent


@dataclass
class Workload:
    name: str
    what: str
    command: str = None
    quick_command: str = None
    commands: dict = field(default_factory=dict)   # platform -> command
    quick_commands: dict = field(default_factory=dict)  # platform -> quick-mode command
    absent: dict = field(default_factory=dict)     # platform -> "n/a: ..." / "not yet: ..."
    metrics: list = field(default_factory=list)
    timeout: float = 300          # seconds for the workload in a full run
    quick_timeout: float = 120

    def command_for(self, platform, quick):
        if platform in self.absent:
            return None
        if quick and platform in self.quick_commands:
            return self.quick_commands[platform]
        if platform in self.commands:
            return self.commands[platform]
        return self.quick_command if quick and self.quick_command else self.command


# The domU's lines reach dom0's console through tests/bench/guest/follow as "domU| LINE".
DOMU = r"(?:domU\| )?"


def bench_metric(name, what, unit="ns", absent=None, guest_clock=True):
    """A `bench NAME VALUE` line of a program of ours, natively or relayed from the domU."""
    return Metric(name, unit, what, "value", r"^%sbench %s (\d+)$" % (DOMU, name),
                  guest_clock=guest_clock, absent=absent or {})


def absent_for(workload, metric, platform):
    """Why `metric` has no value on `platform`, or None."""
    return workload.absent.get(platform) or metric.absent.get(platform)


# The same span timed by the guest's clock (ns) and by the host's (s). When they disagree by
# more than CLOCK_TOLERANCE and CLOCK_SLACK seconds (the console's delay on a busy host),
# the guest's clock was wrong in that boot, and each guest_clock metric of the boot is left
# out with that reason instead of being filed as a number.
CLOCK_CHECK = ("cpu_loop", "cpu_loop_host")
CLOCK_TOLERANCE = 0.15
CLOCK_SLACK = 0.25


BENCH = "/usr/libexec/mica/bench/"
DOMU_FILES = "/usr/share/mica/bench/domU-bzImage /usr/share/mica/bench/domU-initramfs.cpio.gz"
SMALL_FILES = "/usr/share/mica/bench/domU-bzImage /usr/share/mica/bench/domU-small.cpio.gz"
NO_HV = "n/a: no hypervisor"
NO_DOMU = {"native": "n/a: runs natively, not in a domU"}
MANY = 50           # guests created by create-many; 2 in the quick mode
MANY_QUICK = 2
# The I/O rows' sizes: (MiB of the disk's sequential passes, 4 KiB random reads, MiB of each
# TCP stream). The disk's are issue 7's 256 MB; the streams are small because TCP through
# the PV drivers moves well under 1 MB/s under TCG (docs/benchmarks.md, "The I/O rows",
# has the rates and the time each takes). The quick mode only shows that every row runs.
IO_FULL = (256, 500, 4)
IO_QUICK = (4, 50, 1)
# The grant rows: (pages the domU grants, pages per batch, timed passes over them). 32 is
# the batch of mica-netback's copies and of blkfront's indirect requests by default.
GRANT_FULL = (64, 32, 50)
GRANT_QUICK = (64, 32, 2)


def io_metric(key, name, unit, what, absent=None):
    """A `bench KEY VALUE` line of iobench, filed as row NAME; more is better."""
    return Metric(name, unit, what, "value", r"^%sbench %s (\d+)$" % (DOMU, key),
                  better="higher", guest_clock=True, absent=absent or {})

WORKLOADS = [
    Workload(
        "boot", "QEMU start to the first line of /init (native Linux, or dom0)",
        metrics=[
            Metric("boot_to_init", "s",
                   "host seconds from QEMU's start to the first line of /init (firmware, "
                   "hypervisor, kernel, initramfs unpacking); dom0's /init under Xen and Mica",
                   "host_at", r"^mica-bench: init$"),
            Metric("init_uptime", "s",
                   "the kernel's own uptime when /init starts (/proc/uptime)",
                   "value", r"^mica-bench: uptime ([\d.]+)$", guest_clock=True),
        ],
        timeout=240, quick_timeout=240),
    Workload(
        "toolstack", "start the toolstack in dom0 and check that it answers",
        commands={"xen": BENCH + "xen-toolstack", "mica": BENCH + "mica-toolstack"},
        absent={"native": NO_HV},
        metrics=[
            Metric("toolstack_start", "s",
                   "Xen: xenstored, xen-init-dom0, xenconsoled; Mica: mica-store, "
                   "mica-consoled (then `info` and `list` must show Domain-0)",
                   "host_span", r"^mica-bench: begin toolstack$",
                   end=r"^(xen|mica)-toolstack: started$"),
        ],
        timeout=180, quick_timeout=120),
    Workload(
        "linux", "the measured Linux (ours): natively, or a domU of 512 MiB and 2 vCPUs "
                 "created by xl or mica, its console relayed to dom0's",
        commands={"native": BENCH + "linux-bench",
                  "xen": BENCH + "domu-run xl " + DOMU_FILES,
                  "mica": BENCH + "domu-run mica " + DOMU_FILES},
        quick_commands={"native": BENCH + "linux-bench --quick",
                        "xen": BENCH + "domu-run xl %s --quick" % DOMU_FILES,
                        "mica": BENCH + "domu-run mica %s --quick" % DOMU_FILES},
        metrics=[
            Metric("domu_create", "s", "the create command until it returns (domain built, "
                   "kernel loaded, unpaused)", "host_span", r"^domu: creating$",
                   end=r"^domu: created$", absent=NO_DOMU),
            Metric("domu_boot_to_init", "s", "the create command until the domU's /init "
                   "prints its first line (relayed from its console log)", "host_span",
                   r"^domu: creating$", end=r"^domU\| mica-bench: init$", absent=NO_DOMU),
            bench_metric("evtchn_pingpong", "an event-channel round trip between dom0 and "
                         "the domU (/dev/xen/evtchn both sides; tests/bench/guest/evtchn.c)",
                         absent=NO_DOMU),
            bench_metric("hypercall_ioctl", "xen_version through /dev/xen/privcmd's "
                         "hypercall ioctl, in the domU (tests/bench/guest/hypercall.c)",
                         absent={"native": NO_HV}),
            bench_metric("null_hypercall", "that minus an ioctl privcmd refuses (the "
                         "system call and the driver without the hypercall)",
                         absent={"native": NO_HV}),
            bench_metric("null_syscall", "getppid() system call (tests/workout)"),
            bench_metric("fork_exit", "fork, child _exit, parent waitpid"),
            bench_metric("fork_exec", "fork, exec of a static binary, wait"),
            bench_metric("page_fault", "first touch of an anonymous 4 KiB page"),
            bench_metric("mmap_munmap", "mmap and munmap of one anonymous page"),
            bench_metric("pipe_roundtrip", "one-byte pipe round trip between two processes "
                         "on one CPU (two context switches)"),
            Metric("cpu_loop", "ns", "10^9 rounds (10^8 quick) of tests/bench/guest/cpuloop.c "
                   "by the guest's clock", "value", r"^%sbench cpu_loop (\d+)$" % DOMU,
                   guest_clock=True),
            Metric("cpu_loop_host", "s", "the same loop by the host's clock (from its "
                   "`cpuloop: start` line to its result line): checks the guest's clock",
                   "host_span", r"^%scpuloop: start$" % DOMU, end=r"^%sbench cpu_loop " % DOMU),
        ],
        timeout=900, quick_timeout=400),
    Workload(
        "many", "%d paused domUs of our kernel (40 MiB, 1 vCPU) created one after the other "
                "and kept, then destroyed (%d in the quick mode)" % (MANY, MANY_QUICK),
        commands={"xen": BENCH + "create-many xl %d %s" % (MANY, SMALL_FILES),
                  "mica": BENCH + "create-many mica %d %s" % (MANY, SMALL_FILES)},
        quick_commands={"xen": BENCH + "create-many xl %d %s" % (MANY_QUICK, SMALL_FILES),
                        "mica": BENCH + "create-many mica %d %s" % (MANY_QUICK, SMALL_FILES)},
        absent={"native": NO_HV},
        metrics=[
            Metric("create_1st", "s", "create -p of the first guest until it returns",
                   "host_span", r"^many: creating 1$", end=r"^many: created 1$"),
            Metric("create_50th", "s", "create -p of the 50th guest, 49 others kept (the "
                   "2nd in the quick mode)", "host_span", r"^many: creating \d+ \(last\)$",
                   end=r"^many: created \d+ \(last\)$"),
            bench_metric("mem_hypervisor_per_guest", "free memory lost per guest beyond its "
                         "own 40 MiB (xl info / mica info free_memory, before and after)",
                         unit="KiB", guest_clock=False),
            bench_metric("mem_dom0_per_guest", "VmRSS growth per guest of the toolstack's dom0 "
                         "processes (xenstored, xenconsoled, xl / mica-store, mica-consoled, "
                         "mica monitors)", unit="KiB", guest_clock=False),
        ],
        timeout=1200, quick_timeout=300),
    Workload(
        "grant", "a domU (128 MiB, 1 vCPU) grants %d pages to dom0 (gntalloc); dom0's "
                 "gntdev gets at them in batches of %d, %d times over, three ways "
                 "(tests/bench/guest/gntbench.c)" % GRANT_FULL,
        commands={"xen": BENCH + "grant-run xl %s %d %d %d" % ((DOMU_FILES,) + GRANT_FULL),
                  "mica": BENCH + "grant-run mica %s %d %d %d" % ((DOMU_FILES,) + GRANT_FULL)},
        quick_commands={
            "xen": BENCH + "grant-run xl %s %d %d %d" % ((DOMU_FILES,) + GRANT_QUICK),
            "mica": BENCH + "grant-run mica %s %d %d %d" % ((DOMU_FILES,) + GRANT_QUICK)},
        absent={"native": NO_HV},
        metrics=[
            bench_metric("grant_copy_4k", "per 4 KiB page: IOCTL_GNTDEV_GRANT_COPY of a "
                         "batch, the hypervisor copies (Mica's backends' way)"),
            bench_metric("grant_map_copy_unmap_4k", "per page: map a batch (ioctl, mmap), "
                         "memcpy, unmap (munmap, ioctl): a backend without persistent grants"),
            bench_metric("grant_persistent_copy_4k", "per page: memcpy from a batch mapped "
                         "once (persistent grants once set up)"),
        ],
        timeout=600, quick_timeout=400),
    Workload(
        "io", "block and TCP I/O through the PV drivers (tests/bench/guest/iobench.c): in "
              "a domU of 256 MiB and 1 vCPU with a disk (a raw file in a tmpfs of dom0) and a "
              "NIC on a bridge of dom0, beside a second domU that receives; natively on a "
              "tmpfs file and the loopback interface",
        commands={"native": BENCH + "io-native %d %d %d" % IO_FULL,
                  "xen": BENCH + "io-run xl %s %d %d %d" % ((DOMU_FILES,) + IO_FULL),
                  "mica": BENCH + "io-run mica %s %d %d %d" % ((DOMU_FILES,) + IO_FULL)},
        quick_commands={"native": BENCH + "io-native %d %d %d" % IO_QUICK,
                        "xen": BENCH + "io-run xl %s %d %d %d" % ((DOMU_FILES,) + IO_QUICK),
                        "mica": BENCH + "io-run mica %s %d %d %d" % ((DOMU_FILES,) + IO_QUICK)},
        metrics=[
            io_metric("blk_seq_read", "blk_seq_read_%dm" % IO_FULL[0], "KB/s",
                      "sequential read of %d MiB in 1 MiB requests, O_DIRECT on /dev/xvda "
                      "(natively: a tmpfs file, through the page cache)" % IO_FULL[0]),
            io_metric("blk_seq_write", "blk_seq_write_%dm" % IO_FULL[0], "KB/s",
                      "sequential write of %d MiB in 1 MiB requests and fsync, the same way"
                      % IO_FULL[0]),
            io_metric("blk_rand_4k_iops", "blk_rand_4k_iops", "IOPS",
                      "random 4 KiB reads, one at a time, within those %d MiB"
                      % IO_FULL[0]),
            io_metric("tcp_domu_to_dom0", "tcp_domu_to_dom0_%dm" % IO_FULL[2], "KB/s",
                      "%d MiB over one TCP connection, domU to dom0 (natively: over the "
                      "loopback interface)" % IO_FULL[2]),
            io_metric("tcp_domu_to_domu", "tcp_domu_to_domu_%dm" % IO_FULL[2], "KB/s",
                      "%d MiB over one TCP connection, domU to domU through dom0's bridge"
                      % IO_FULL[2], absent={"native": "n/a: one Linux, no second domain"}),
        ],
        timeout=2400, quick_timeout=600),
]


def metrics():
    """[(workload, metric)] in table order."""
    return [(w, m) for w in WORKLOADS for m in w.metrics]
