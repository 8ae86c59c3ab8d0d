"""The daemon's command line, start-up errors, exit codes, background mode and signals."""
import os
import signal
import subprocess
import time

from storetest import eq, expect


def run(env, *args, timeout=20, extra_env=None):
    return subprocess.run([env.exe] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=env.san_env(extra_env))


def test_help(env):
    p = run(env, "--help")
    eq(p.returncode, 0)
    for word in ("--socket", "--log", "--verbose", "--foreground", "--pid-file",
                 "--rings", "--quota-nodes", "--quota-watches", "--quota-transactions",
                 "--quota-outstanding", "--quota-node-size", "--quota-path-length",
                 "XENSTORED_PATH", "Exit status"):
        expect(word in p.stdout, "--help mentions %s" % word)


def test_usage_errors(env):
    for args, text in ((["--bogus"], "unknown option '--bogus'"),
                       (["--socket"], "needs a value"),
                       (["--quota-nodes", "0"], "a quota is a whole number"),
                       (["--quota-nodes", "lots"], "not 'lots'"),
                       (["--rings", "maybe"], "--rings takes auto, xen or none"),
                       (["extra"], "unexpected argument 'extra'")):
        p = run(env, *args)
        eq(p.returncode, 2, " ".join(args))
        expect(text in p.stderr, "%s: %r" % (" ".join(args), p.stderr))
        expect("--help" in p.stderr, "points at --help")


def test_socket_errors(env):
    blocker = os.path.join(env.dir, "file")
    open(blocker, "w").close()
    p = run(env, "-f", "--rings", "none", "--socket", blocker + "/sock")
    eq(p.returncode, 1)
    expect("cannot create the directory of" in p.stderr, p.stderr)
    p = run(env, "-f", "--rings", "none", "--socket", blocker)
    eq(p.returncode, 1)
    expect("exists and is not a socket" in p.stderr, p.stderr)
    p = run(env, "-f", "--rings", "none", "--socket", "/" + "x" * 120)
    eq(p.returncode, 1)
    expect("too long" in p.stderr, p.stderr)


def test_second_instance_and_stale_socket(env):
    env.start()
    p = run(env, "-f", "--rings", "none", "--socket", env.sock)
    eq(p.returncode, 1)
    expect("another store is already listening on " + env.sock in p.stderr, p.stderr)
    # Killed hard, the store leaves its socket file; the next one replaces it.
    env.stop(signal.SIGKILL)
    expect(os.path.exists(env.sock), "stale socket left")
    env.start()
    eq(env.client().call("GET_DOMAIN_PATH", "0"), b"/local/domain/0\0")


def test_default_socket_from_environment(env):
    rundir = os.path.join(env.dir, "run")
    proc = subprocess.Popen([env.exe, "-f", "--rings", "none", "--log", env.log],
                            env=env.san_env({"XENSTORED_PATH": "", "XENSTORED_RUNDIR": rundir}),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        env.wait_listening(os.path.join(rundir, "socket"))
    finally:
        proc.send_signal(signal.SIGTERM)
        eq(proc.wait(20), 0)
    expect(not os.path.exists(os.path.join(rundir, "socket")), "socket removed at exit")


def test_background_pid_file_and_sigterm(env):
    pid_file = os.path.join(env.dir, "store.pid")
    p = run(env, "--rings", "none", "--socket", env.sock, "--log", env.log,
            "--pid-file", pid_file)
    eq(p.returncode, 0, "the starting process returns once the store serves")
    env.wait_listening()
    pid = int(open(pid_file).read())
    try:
        os.kill(pid, 0)
        eq(env.client().call("GET_DOMAIN_PATH", "3"), b"/local/domain/3\0")
        p = run(env, "--rings", "none", "--socket", env.sock + "2", "--pid-file", pid_file)
        eq(p.returncode, 1)
        expect("already running as process %d" % pid in p.stderr, p.stderr)
    finally:
        for c in env.clients:
            c.close()
        env.clients = []
        os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        if not os.path.exists(pid_file) and not os.path.exists(env.sock):
            break
        time.sleep(0.05)
    expect(not os.path.exists(pid_file), "pid file removed")
    expect(not os.path.exists(env.sock), "socket removed")
    expect("listening on " + env.sock in env.log_text(), "log file used in the background")


def test_background_start_failure(env):
    p = run(env, "--rings", "none", "--socket", "/proc/nope/socket")
    eq(p.returncode, 1, "a store that cannot start makes the starting process fail")
    expect("cannot" in p.stderr, p.stderr)


def test_rings_xen_without_devices(env):
    if os.path.exists("/dev/xen/evtchn"):
        return  # a real dom0: nothing to show here
    p = run(env, "-f", "--rings", "xen", "--socket", env.sock)
    eq(p.returncode, 1)
    expect("cannot open /dev/xen/evtchn" in p.stderr, p.stderr)


def test_log_file_and_sighup(env):
    env.start("--verbose")
    c = env.client()
    c.write("/x", "1")
    expect("WRITE /x (tx 0) -> OK" in env.log_text(), "--verbose logs requests")
    os.rename(env.log, env.log + ".1")
    env.proc.send_signal(signal.SIGHUP)
    for _ in range(100):
        if os.path.exists(env.log):
            break
        time.sleep(0.05)
    c.write("/y", "1")
    expect("WRITE /y" in env.log_text(), "after SIGHUP the log goes to a new file")


def test_unwritable_log(env):
    p = run(env, "-f", "--rings", "none", "--socket", env.sock, "--log", "/proc/nope/log")
    eq(p.returncode, 1)
    expect("cannot open the log file /proc/nope/log" in p.stderr, p.stderr)


