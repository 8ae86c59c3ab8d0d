"""Boots an image under QEMU with its serial console on a pipe, and judges the run.

Python 3 standard library only. Two ways to use it:

  run(...)    boots, waits until QEMU exits (or a stop line appears, or the
              timeout passes) and returns a Result judged by exit status and
              by expected and forbidden lines. Most tests need only this.
  Qemu(...)   a running machine to talk to: wait_for() a line or prompt,
              send() bytes to the serial console, then stop() or wait().

Every run writes the serial output, cleaned of terminal escape sequences,
to a log file as it arrives, framed by the QEMU command line and the outcome.

Exit status: the hypervisor option qemu_exit=0xf4 makes Mica write a code to
the isa-debug-exit device, and QEMU then exits with (code << 1) | 1.
"""
import codecs
import os
import re
import shlex
import signal
import subprocess
import threading
import time

DEBUG_EXIT_PORT = 0xF4
EXIT_OK = 1        # the hypervisor finished normally (wrote 0)
EXIT_ERROR = 3     # it halted on an error or panic (wrote 1)

QEMU = os.environ.get("MICA_QEMU", "qemu-system-x86_64")
BASE_ARGS = ["-accel", "tcg", "-cpu", "max", "-nographic", "-no-reboot",
             "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=4"]

# Seconds to keep reading after a forbidden line, to get the rest of a report.
SETTLE = 2.0

_ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text):
    """Removes terminal escape sequences and control characters (but not \\n)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def describe_status(status):
    if status is None:
        return "still running (stopped by the harness)"
    if status == EXIT_OK:
        return "exit status 1 (the hypervisor finished normally)"
    if status == EXIT_ERROR:
        return "exit status 3 (the hypervisor halted on an error)"
    if status == 0:
        return ("exit status 0 (QEMU ended on its own: a Linux booted natively powered off, "
                "a triple fault or reset under -no-reboot, or the hypervisor never reached "
                "the debug-exit device)")
    if status < 0:
        return f"killed by signal {-status}"
    if status & 1:
        return f"exit status {status} (the hypervisor wrote code {status >> 1})"
    return f"exit status {status} (QEMU itself failed)"


def machine_args(kernel=None, append=None, cdrom=None, smp=1, memory="256M", extra=()):
    """QEMU arguments for booting a Multiboot kernel (-kernel) or a CD image."""
    if (kernel is None) == (cdrom is None):
        raise ValueError("give exactly one of kernel= and cdrom=")
    args = [QEMU, *BASE_ARGS, "-smp", str(smp), "-m", str(memory)]
    if kernel is not None:
        args += ["-kernel", str(kernel)]
        if append:
            args += ["-append", append]
    else:
        if append:
            raise ValueError("a CD image's command line is in its grub.cfg, not append=")
        args += ["-cdrom", str(cdrom)]
    return args + [str(a) for a in extra]


class QemuError(Exception):
    """wait_for() gave up: the machine exited, or the timeout passed."""


class Qemu:
    """One QEMU process; its serial console is readable and writable here.

    Output is split into lines (\\r and escape sequences removed); `lines`
    holds the complete ones and `partial` the text after the last newline,
    so a test can wait for a shell prompt that has no newline yet.
    """

    def __init__(self, args, log_path):
        self.args = list(args)
        self.log_path = str(log_path)
        self.lines = []
        self.partial = ""
        self.status = None
        self.proc = None
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        self._err_reader = None
        self.qemu_messages = []  # what QEMU itself wrote to stderr
        self._log = None
        self._started = None
        self._next_line = 0     # first line the next wait_for() looks at
        self.char_delay = 0.0   # default pause after each byte send() types

    # -- life cycle -------------------------------------------------------

    def start(self):
        os.makedirs(os.path.dirname(self.log_path) or ".", exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self._log.write("# " + shlex.join(self.args) + "\n")
        self._log.flush()
        self._started = time.monotonic()
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            self._log.write(f"# could not start QEMU: {e}\n")
            self._log.close()
            raise QemuError(f"could not start {self.args[0]}: {e} (run make setup)") from e
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_reader.start()
        return self

    def __enter__(self):
        return self if self.proc else self.start()

    def __exit__(self, *exc):
        self.stop()

    def elapsed(self):
        return time.monotonic() - self._started if self._started else 0.0

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout):
        """Waits for QEMU to exit; returns its exit status, or None on timeout."""
        try:
            self.status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._finish()
        return self.status

    def stop(self, outcome=None):
        """Kills QEMU if it still runs and closes the log. Returns the exit status
        (None if the harness had to kill it)."""
        if self.proc is None:
            return None
        killed = False
        if self.proc.poll() is None:
            self.proc.kill()
            killed = True
        self.proc.wait()
        self.status = None if killed else self.proc.returncode
        self._finish(outcome)
        return self.status

    def _finish(self, outcome=None):
        for reader in (self._reader, self._err_reader):
            if reader:
                reader.join(timeout=5)
        if self._log and not self._log.closed:
            with self._cond:
                if self.partial:
                    self._log.write(self.partial + "\n")
            self._log.write(f"# {outcome or describe_status(self.status)}, "
                            f"after {self.elapsed():.1f}s\n")
            self._log.close()
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    # -- output -----------------------------------------------------------

    def _read(self):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        raw = ""
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 4096)
            text = decoder.decode(chunk, final=not chunk)
            raw += text.replace("\r", "")
            *complete, raw = raw.split("\n")
            complete = [clean(line) for line in complete]
            with self._cond:
                self.lines.extend(complete)
                self.partial = clean(raw)
                for line in complete:
                    self._log.write(line + "\n")
                self._log.flush()
                if not chunk:
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                return

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            with self._cond:
                self.qemu_messages.append(line)
                self._log.write(f"# QEMU: {line}\n")
                self._log.flush()

    def qemu_errors(self):
        """QEMU's own messages other than warnings and its note on being killed."""
        return [m for m in self.qemu_messages
                if m.strip() and not re.search(r"warning|terminating on signal", m, re.I)]

    def output(self):
        """All output so far, as one string."""
        with self._cond:
            return "\n".join(self.lines + [self.partial])

    def wait_for(self, pattern, timeout=30, start=None):
        """Waits until a complete line (or the partial last line) matches the
        regex `pattern`, searching lines from index `start` (default: those not
        seen by an earlier wait_for). Returns the match; raises QemuError if
        QEMU exits or the timeout passes first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        index = self._next_line if start is None else start
        with self._cond:
            while True:
                while index < len(self.lines):
                    m = rx.search(self.lines[index])
                    index += 1
                    if m:
                        self._next_line = index
                        return m
                m = rx.search(self.partial)
                if m:
                    return m
                if self._eof:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QemuError(f"no line matched {pattern!r} within {timeout}s")
                self._cond.wait(left)
        self.wait(5)
        errors = "".join(f"; QEMU: {m}" for m in self.qemu_errors())
        raise QemuError(f"QEMU ended ({describe_status(self.status)}) before a line "
                        f"matched {pattern!r}{errors}")

    # -- input ------------------------------------------------------------

    def send(self, data, delay=None):
        """Types `data` (str or bytes) on the serial console, pausing `delay`
        seconds after each byte (default: self.char_delay) for guests that
        poll the UART and drop what arrives in a burst, such as GRUB. Ctrl-A
        is QEMU's -nographic escape key, so it is doubled to reach the guest."""
        if isinstance(data, str):
            data = data.encode()
        data = data.replace(b"\x01", b"\x01\x01")
        delay = self.char_delay if delay is None else delay
        chunks = [data[i:i + 1] for i in range(len(data))] if delay else [data]
        for chunk in chunks:
            self.proc.stdin.write(chunk)
            self.proc.stdin.flush()
            if delay:
                time.sleep(delay)

    def sendline(self, line, delay=None):
        """Types `line` and Enter (a carriage return, as a terminal sends it)."""
        self.send(line + "\r", delay)


class Result:
    """The outcome of run(): `ok`, the `problems` found, `status`, `lines`."""

    def __init__(self, vm, problems, stopped, timed_out):
        self.status = vm.status
        self.lines = list(vm.lines) + ([vm.partial] if vm.partial else [])
        self.log_path = vm.log_path
        self.problems = problems
        self.stopped = stopped
        self.timed_out = timed_out
        self.seconds = vm.elapsed()
        self.qemu_abort = qemu_aborted(vm)

    @property
    def ok(self):
        return not self.problems

    def find(self, pattern):
        """The first match of `pattern` in any line, or None."""
        rx = re.compile(pattern)
        for line in self.lines:
            m = rx.search(line)
            if m:
                return m
        return None

    def find_all(self, pattern):
        rx = re.compile(pattern)
        return [m for m in (rx.search(line) for line in self.lines) if m]

    def index(self, pattern, start=0):
        """Index of the first line at or after `start` matching `pattern`, or -1."""
        rx = re.compile(pattern)
        for i in range(start, len(self.lines)):
            if rx.search(self.lines[i]):
                return i
        return -1

    def report(self, tail=15):
        text = list(self.problems)
        text.append(f"log: {self.log_path}")
        shown = [line for line in self.lines if line.strip()][-tail:]
        if shown:
            text.append(f"last {len(shown)} lines:")
            text += [f"  | {line}" for line in shown]
        return "\n".join(text)


def qemu_aborted(vm):
    """QEMU's own assertion message if QEMU died of one (SIGABRT), else None."""
    if vm.status != -signal.SIGABRT:
        return None
    return next((m for m in vm.qemu_errors() if "Assertion" in m), None)


def run(log_path, **kwargs):
    """Boots a machine (see run_once) and judges the run.

    QEMU's TCG with several vCPUs now and then aborts on an assertion of
    its own (e.g. iotlb_to_section's, booting a native Debian kernel): the
    emulator's bug, not the guest's. Such a boot is run once more, the
    first log kept beside the second as LOG.qemu-abort and the retry said
    on stdout; a second abort is a failure like any other.
    """
    result = run_once(log_path, **kwargs)
    if result.qemu_abort:
        first = f"{log_path}.qemu-abort"
        os.replace(log_path, first)
        print(f"  QEMU aborted ({result.qemu_abort}); booting once more (first log: {first})")
        result = run_once(log_path, **kwargs)
    return result


def run_once(log_path, *, expect=(), forbid=(), status=None, stop_on=None, timeout=60,
             **machine):
    """Boots a machine (see machine_args for its keywords) and judges the run.

    expect   regexes that must each match some line
    forbid   regexes no line may match; after the first such line the run
             goes on for SETTLE seconds (to log the whole report) and stops
    status   the exit status QEMU must end with (None: any)
    stop_on  a regex: when a line matches, QEMU is stopped and the run is
             judged by its lines only (for boots that do not exit by
             themselves, such as a CD image whose command line is GRUB's)
    timeout  seconds before the harness gives up and kills QEMU
    """
    expect = [re.compile(p) for p in expect]
    forbid = [re.compile(p) for p in forbid]
    stop_rx = re.compile(stop_on) if stop_on else None
    vm = Qemu(machine_args(**machine), log_path)
    vm.start()
    deadline = time.monotonic() + timeout
    settle_until = None
    stopped = timed_out = False
    seen = 0
    forbidden = []
    try:
        with vm._cond:
            while True:
                for line in vm.lines[seen:]:
                    if any(rx.search(line) for rx in forbid):
                        forbidden.append(line)
                        if settle_until is None:
                            settle_until = time.monotonic() + SETTLE
                    if stop_rx and stop_rx.search(line) and not stopped:
                        stopped = True
                seen = len(vm.lines)
                now = time.monotonic()
                if stopped or vm._eof:
                    break
                if settle_until is not None and now >= settle_until:
                    break
                if now >= deadline:
                    timed_out = True
                    break
                vm._cond.wait(min(deadline, settle_until or deadline) - now)
    finally:
        if stopped:
            outcome = "stopped by the harness: the stop line appeared"
        elif timed_out:
            outcome = f"killed by the harness: no result within {timeout}s"
        elif settle_until is not None and vm.running():
            outcome = "stopped by the harness after a forbidden line"
        else:
            outcome = None
        # QEMU may close its output a moment before its exit status is known.
        if vm._eof and not stopped:
            vm.wait(5)
        vm.stop(outcome)

    problems = [f"QEMU: {m}" for m in vm.qemu_errors()]
    if timed_out:
        problems.append(f"timed out after {timeout}s (QEMU neither exited nor "
                        f"printed the stop line)")
    for line in forbidden:
        problems.append(f"forbidden line: {line.strip()}")
    if stop_rx and not stopped:
        problems.append(f"never printed the stop line /{stop_rx.pattern}/")
    if status is not None and not stopped and not timed_out and vm.status != status:
        problems.append(f"{describe_status(vm.status)}; expected {describe_status(status)}")
    text = vm.lines + [vm.partial]
    for rx in expect:
        if not any(rx.search(line) for line in text):
            problems.append(f"missing line /{rx.pattern}/")
    return Result(vm, problems, stopped, timed_out)
