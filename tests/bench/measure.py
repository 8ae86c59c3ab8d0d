"""One boot of one system: run QEMU, time its console lines, read every metric off them.

The guest prints `mica-bench: init` first (bench-init), then for each workload
`mica-bench: begin NAME`, the workload's output, `mica-bench: end NAME STATUS`, and finally
`mica-bench: done` and /init's `mica-test: bench-P exit N` before it powers off. Each line
is stamped with the host's clock (seconds since QEMU started) as it arrives. A metric's
cell is a number or a Failure with the reason, never a guess.
"""
import os
import re
import resource
import time
from dataclasses import dataclass

import qemu

INIT = re.compile(r"^mica-bench: init$")
BEGIN = re.compile(r"^mica-bench: begin (\S+)$")
END = re.compile(r"^mica-bench: end (\S+) (\d+)$")
TEST_EXIT = re.compile(r"^mica-test: bench-\S+ exit (\d+)$")
POWEROFF_GRACE = 60     # seconds from /init's last line to QEMU's exit
# Lines that say why a boot or a workload went wrong, first one wins.
TROUBLE = re.compile(r"\(mica\) \[ *[\d.]+\] E: |PANIC|\*\*\* EXCEPTION|Kernel panic|\bBUG:|"
                     r"\bOops\b|\(XEN\) \*\*\*|Panic on CPU|workout: (FAIL|problem)|"
                     r"xen-toolstack: failed|segfault at|mica-init: no test|not found$|"
                     r"can't execute")


@dataclass
class Failure:
    reason: str

    def __str__(self):
        return self.reason


def first_trouble(lines):
    for line in lines:
        if TROUBLE.search(line):
            return line.strip()
    return None


def clip(text, width=160):
    return text if len(text) <= width else text[:width - 3] + "..."


def cpu_busy_seconds():
    """Seconds all host CPUs have spent busy (not idle or waiting for I/O) since boot."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """CPU seconds used by this process and its reaped children (QEMU)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Boot:
    """The console of one finished boot: lines, their host times, and how it ended.
    `other_load` is the host's CPU time spent on anything but this boot, over its wall
    time: the number of CPUs other work kept busy (0 on a quiet machine)."""

    def __init__(self, lines, times, status, ended, log_path, other_load=None):
        self.other_load = other_load
        self.lines = lines
        self.times = times
        self.status = status
        self.ended = ended          # why the harness stopped following it
        self.log_path = log_path
        self.init = next((i for i, line in enumerate(lines) if INIT.match(line)), None)
        self.sections = {}          # workload -> (begin index, end index or None, status)
        for i, line in enumerate(lines):
            m = BEGIN.match(line)
            if m:
                self.sections[m[1]] = [i, None, None]
            m = END.match(line)
            if m and m[1] in self.sections:
                self.sections[m[1]][1:] = [i, int(m[2])]

    def why_ended(self, start=0):
        trouble = first_trouble(self.lines[start:])
        text = self.ended + ("; first sign of trouble: %s" % clip(trouble) if trouble else "")
        return "%s (log: %s)" % (text, self.log_path)

    def before_init(self):
        return Failure("did not reach /init: " + self.why_ended())

    def section(self, workload):
        """(lines of the workload from its begin line on, their times, None) when it ended
        with status 0; (what it printed, their times, a Failure saying why) when it failed
        or was stopped, so that rows it printed before are kept; or a Failure alone when
        it never started."""
        if self.init is None:
            return self.before_init()
        if workload.name not in self.sections:
            return Failure("never started: " + self.why_ended(self.init))
        begin, end, status = self.sections[workload.name]
        if end is None:
            stop = min([s[0] for s in self.sections.values() if s[0] > begin] or
                       [len(self.lines)])
            return (self.lines[begin:stop], self.times[begin:stop],
                    Failure("did not finish: " + self.why_ended(begin)))
        lines, times = self.lines[begin:end + 1], self.times[begin:end + 1]
        if status != 0:
            trouble = first_trouble(lines[1:-1])
            last = next((x for x in reversed(lines[1:-1]) if x.strip()), "no output")
            return lines, times, Failure("exit status %d: %s (log: %s)"
                                         % (status, clip(trouble or last), self.log_path))
        return lines, times, None


def read_metric(boot, workload, metric):
    """A metric's value from a boot (seconds or ns, as its unit says) or a Failure. A
    workload that failed still gives the rows it printed before it failed."""
    failed = None
    if workload.command is None and not workload.commands:
        # Measured by the harness: the whole console up to the first workload.
        if boot.init is None:
            return boot.before_init()
        stop = min([s[0] for s in boot.sections.values()] or [len(boot.lines)])
        lines, times = boot.lines[:stop], boot.times[:stop]
    else:
        got = boot.section(workload)
        if isinstance(got, Failure):
            return got
        lines, times, failed = got
    rx = re.compile(metric.pattern)
    at = next((i for i, line in enumerate(lines) if rx.search(line)), None)
    if at is None:
        return failed or Failure("no line /%s/ in its output (log: %s)"
                                 % (metric.pattern, boot.log_path))
    if metric.kind == "value":
        return float(rx.search(lines[at])[1]) * metric.scale
    if metric.kind == "host_at":
        return times[at]
    if metric.kind == "host_span":
        end_rx = re.compile(metric.end)
        to = next((i for i in range(at + 1, len(lines)) if end_rx.search(lines[i])), None)
        if to is None:
            return failed or Failure("no line /%s/ after /%s/ (log: %s)"
                                     % (metric.end, metric.pattern, boot.log_path))
        return times[to] - times[at]
    raise ValueError("unknown metric kind %s" % metric.kind)


def boot(argv, log_path, workloads, quick, boot_timeout):
    """Runs one QEMU and follows its console until it exits, or stops it when a step
    overruns its timeout. Returns a Boot."""
    timeouts = {w.name: (w.quick_timeout if quick else w.timeout) for w in workloads}
    vm = qemu.Qemu(argv, log_path)
    busy0, own0, wall0 = cpu_busy_seconds(), own_cpu_seconds(), time.monotonic()
    vm.start()
    times, ended = [], None
    deadline = time.monotonic() + boot_timeout
    waiting_for = "/init did not start within %d s" % boot_timeout
    try:
        with vm._cond:
            while True:
                now = time.monotonic()
                while len(times) < len(vm.lines):
                    line = vm.lines[len(times)]
                    times.append(vm.elapsed())
                    m = BEGIN.match(line)
                    if m:
                        limit = timeouts.get(m[1], 300)
                        deadline = now + limit
                        waiting_for = "workload %s did not end within %d s" % (m[1], limit)
                    elif INIT.match(line) or END.match(line):
                        deadline = now + 120
                        waiting_for = "nothing more happened for 120 s"
                    elif TEST_EXIT.match(line) or line.strip() == "mica-bench: done":
                        deadline = now + POWEROFF_GRACE
                        waiting_for = "QEMU did not exit within %d s of power-off" % POWEROFF_GRACE
                if vm._eof:
                    break
                if now >= deadline:
                    ended = "stopped by the harness: %s" % waiting_for
                    break
                vm._cond.wait(deadline - now)
    finally:
        if ended is None:
            vm.wait(10)
        vm.stop(ended)
    if ended is None:
        ended = "QEMU ended: %s" % qemu.describe_status(vm.status)
        errors = vm.qemu_errors()
        if errors:
            ended += "; QEMU said: %s" % clip(errors[0])
    busy1, own1, wall1 = cpu_busy_seconds(), own_cpu_seconds(), time.monotonic()
    other = None
    if busy0 is not None and busy1 is not None and wall1 > wall0:
        other = max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0)
    lines = list(vm.lines)
    return Boot(lines, times[:len(lines)], vm.status, ended, log_path, other)
