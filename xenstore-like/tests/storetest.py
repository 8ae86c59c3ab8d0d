"""Fixtures for mica-store's socket tests: a daemon in a scratch directory,
Debian's xenstore-* tools pointed at it, and a small client of the wire
protocol (message types read from pvdrivers/include/pv/io/xs_wire.h).

A test is a function test_NAME(env) in xenstore-like/tests/test_*.py; it
passes if it returns. env.finish() then stops the daemon with SIGTERM and
fails the test if it did not exit 0 or printed a sanitizer report.
"""
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HDR = struct.Struct("<IIII")


def _wire_types():
    with open(os.path.join(ROOT, "pvdrivers", "include", "pv", "io", "xs_wire.h")) as f:
        return {m[0]: int(m[1]) for m in re.findall(r"\bXS_(\w+) = (\d+)", f.read())}


XS = _wire_types()
PAYLOAD_MAX = 4096


class Skip(Exception):
    """A test that cannot run here; counted as a failure, with the reason."""


class XsError(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Client:
    """A connection speaking the xenstore wire protocol over the daemon's socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.events = []

    def close(self):
        self.sock.close()

    def send(self, type_, payload=b"", tx=0, req_id=None):
        if req_id is None:
            req_id = self.next_id
            self.next_id += 1
        self.sock.sendall(HDR.pack(XS[type_] if isinstance(type_, str) else type_, req_id, tx,
                                   len(payload)) + payload)
        return req_id

    def recv(self, timeout=5.0):
        """The next message as (type, req_id, tx_id, payload); None on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= HDR.size:
                t, r, x, n = HDR.unpack_from(self.buf)
                if len(self.buf) >= HDR.size + n:
                    body = self.buf[HDR.size:HDR.size + n]
                    self.buf = self.buf[HDR.size + n:]
                    return t, r, x, body
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def reply(self, req_id, timeout=5.0):
        """Waits for the reply to req_id, keeping events that come first."""
        while True:
            m = self.recv(timeout)
            if m is None:
                raise AssertionError("no reply to request %d" % req_id)
            if m[0] == XS["WATCH_EVENT"]:
                self.events.append(tuple(m[3].split(b"\0")[:2]))
                continue
            assert m[1] == req_id, "reply to %d while waiting for %d" % (m[1], req_id)
            return m

    def call(self, type_, *args, tx=0, raw=None):
        """Sends NUL-terminated args (or raw bytes); returns the payload or raises XsError."""
        payload = raw if raw is not None else b"".join(
            (a if isinstance(a, bytes) else a.encode()) + b"\0" for a in args)
        req_id = self.send(type_, payload, tx)
        t, _, x, body = self.reply(req_id)
        assert x == tx, "reply tx %d, expected %d" % (x, tx)
        if t == XS["ERROR"]:
            raise XsError(body.rstrip(b"\0").decode())
        assert t == XS[type_], "reply type %d to %s" % (t, type_)
        return body

    def write(self, path, value, tx=0):
        return self.call("WRITE", raw=path.encode() + b"\0" + value.encode(), tx=tx)

    def read(self, path, tx=0):
        return self.call("READ", path, tx=tx).decode()

    def error_of(self, type_, *args, tx=0, raw=None):
        try:
            self.call(type_, *args, tx=tx, raw=raw)
        except XsError as e:
            return e.name
        return None

    def event(self, timeout=5.0):
        """The next watch event as (path, token) strings, or None."""
        if self.events:
            p, t = self.events.pop(0)
            return p.decode(), t.decode()
        m = self.recv(timeout)
        if m is None:
            return None
        assert m[0] == XS["WATCH_EVENT"], "expected an event, got type %d" % m[0]
        p, t = m[3].split(b"\0")[:2]
        return p.decode(), t.decode()


class Env:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.dir = workdir
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)
        self.sock = os.path.join(workdir, "socket")
        self.log = os.path.join(workdir, "store.log")
        self.stderr_path = os.path.join(workdir, "stderr")
        self.proc = None
        self.clients = []

    # --- the daemon ---

    def start(self, *args, wait=True):
        """Starts mica-store in the foreground on the scratch socket."""
        cmd = [self.exe, "--foreground", "--socket", self.sock, "--log", self.log,
               "--rings", "none"] + list(args)
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, env=self.san_env())
        if wait:
            self.wait_listening()
        return self.proc

    def san_env(self, extra=None):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        env.update(extra or {})
        return env

    def wait_listening(self, path=None, timeout=10.0):
        path = path or self.sock
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("mica-store exited with status %d: %s"
                                     % (self.proc.returncode, self.stderr_text()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError("mica-store did not listen on %s within %ds" % (path, timeout))

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the daemon; returns its exit status."""
        if self.proc is None:
            return None
        for c in self.clients:
            c.close()
        self.clients = []
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("mica-store did not stop within %ds of SIGTERM" % timeout)
        finally:
            self.stderr.close()
            self.proc = None
        return rc

    def stderr_text(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def finish(self, check=True):
        running = self.proc is not None
        rc = self.stop() if running else 0
        if not check:
            return
        err = self.stderr_text()
        if "Sanitizer" in err or "runtime error" in err:
            raise AssertionError("sanitizer report from mica-store:\n" + err[-3000:])
        if running and rc != 0:
            raise AssertionError("mica-store exited with status %d after SIGTERM" % rc)

    def log_tail(self, n=15):
        lines = []
        for p in (self.log, self.stderr_path):
            try:
                with open(p) as f:
                    lines += f.read().splitlines()[-n:]
            except OSError:
                pass
        return lines

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    # --- clients ---

    def client(self):
        c = Client(self.sock)
        self.clients.append(c)
        return c

    def xs(self, tool, *args, check=True, timeout=20):
        """Runs Debian's xenstore-TOOL against the daemon; returns the CompletedProcess."""
        exe = shutil.which("xenstore-" + tool)
        if not exe:
            raise Skip("xenstore-%s not found: install xenstore-utils "
                       "(scripts/setup.sh or apt-get install xenstore-utils)" % tool)
        env = dict(os.environ, XENSTORED_PATH=self.sock)
        p = subprocess.run([exe] + list(args), capture_output=True, text=True, env=env,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("xenstore-%s %s exited %d: %s" % (
                tool, " ".join(args), p.returncode, (p.stderr or p.stdout).strip()))
        return p

    def xs_popen(self, tool, *args):
        exe = shutil.which("xenstore-" + tool)
        if not exe:
            raise Skip("xenstore-%s not found: install xenstore-utils" % tool)
        env = dict(os.environ, XENSTORED_PATH=self.sock)
        return subprocess.Popen([exe] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s%r != %r" % (what + ": " if what else "", got, want))
