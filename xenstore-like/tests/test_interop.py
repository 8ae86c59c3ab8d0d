"""Debian's xenstore-utils (libxenstore 4.17) against mica-store over its socket.

The tools find the store through XENSTORED_PATH, as libxenstore does on a
Xen host (else $XENSTORED_RUNDIR/socket or /var/run/xenstored/socket).
"""
import time

from storetest import eq, expect


def test_write_read_exists(env):
    env.start()
    env.xs("write", "/vm/a", "alpha", "/vm/b", "beta gamma")
    eq(env.xs("read", "/vm/a", "/vm/b").stdout, "alpha\nbeta gamma\n")
    eq(env.xs("read", "-p", "/vm/a").stdout, "/vm/a: alpha\n")
    eq(env.xs("exists", "/vm/a").returncode, 0)
    p = env.xs("exists", "/vm/none", check=False)
    eq(p.returncode, 1, "xenstore-exists of a missing key")
    p = env.xs("read", "/vm/none", check=False)
    eq(p.returncode, 1, "xenstore-read of a missing key")
    expect("couldn't read path /vm/none" in p.stderr, p.stderr)
    # Relative keys are dom0's: /local/domain/0/...
    env.xs("write", "name", "Domain-0")
    eq(env.xs("read", "/local/domain/0/name").stdout, "Domain-0\n")


def test_ls_and_list(env):
    env.start()
    env.xs("write", "/local/domain/0/name", "Domain-0",
           "/local/domain/3/device/vbd/51712/state", "4", "/vm/x", "")
    eq(env.xs("ls", "-f", "/").stdout.splitlines(), [
        '/local = ""',
        '/local/domain = ""',
        '/local/domain/0 = ""',
        '/local/domain/0/name = "Domain-0"',
        '/local/domain/3 = ""',
        '/local/domain/3/device = ""',
        '/local/domain/3/device/vbd = ""',
        '/local/domain/3/device/vbd/51712 = ""',
        '/local/domain/3/device/vbd/51712/state = "4"',
        '/vm = ""',
        '/vm/x = ""',
    ])
    eq(env.xs("ls", "/local/domain/0").stdout, 'name = "Domain-0"\n')
    eq(env.xs("list", "/local/domain").stdout, "0\n3\n")
    eq(env.xs("list", "-p", "/vm").stdout, "/vm/x\n")
    p = env.xs("list", "/nothing", check=False)
    eq(p.returncode, 1)


def test_chmod_and_perms(env):
    env.start()
    env.xs("write", "/local/domain/5/data/a", "1", "/local/domain/5/data/b", "2")
    env.xs("chmod", "/local/domain/5", "n5", "r0")
    eq(env.xs("ls", "-fp", "/local/domain/5").stdout.splitlines(), [
        '/local/domain/5/data = ""   (n0)',
        '/local/domain/5/data/a = "1"   (n0)',
        '/local/domain/5/data/b = "2"   (n0)',
    ])
    env.xs("chmod", "-r", "/local/domain/5/data", "b5", "n0")
    out = env.xs("ls", "-fp", "/local/domain/5").stdout
    expect('/local/domain/5/data/a = "1"   (b5,n0)' in out, out)
    p = env.xs("chmod", "/local/domain/5/data", "q7", check=False)
    expect(p.returncode != 0, "a bad mode must fail")


def test_rm(env):
    env.start()
    env.xs("write", "/t/a/b/c", "1", "/t/keep", "2")
    env.xs("rm", "/t/a")
    eq(env.xs("exists", "/t/a", check=False).returncode, 1)
    eq(env.xs("read", "/t/keep").stdout, "2\n")
    env.xs("rm", "/t/a")  # missing, parent there: fine
    env.xs("write", "/u/v/w", "x")
    env.xs("rm", "-t", "/u/v/w")  # -t: also empty parents
    eq(env.xs("exists", "/u", check=False).returncode, 1)


def test_watch(env):
    env.start()
    w = env.xs_popen("watch", "-n", "3", "/watched")
    c = env.client()
    try:
        # Wait until it has registered; its first event is the watch itself.
        deadline = time.monotonic() + 10
        while "watches 1\n" not in c.call("CONTROL", "stats").decode():
            expect(time.monotonic() < deadline, "xenstore-watch did not set its watch")
            time.sleep(0.05)
        env.xs("write", "/watched/x", "1")
        env.xs("rm", "/watched")
        out, err = w.communicate(timeout=10)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    eq(out.splitlines(), ["/watched", "/watched/x", "/watched"], "xenstore-watch output")


def test_large_directory_uses_directory_part(env):
    # More than 4096 bytes of child names: DIRECTORY says E2BIG and
    # libxenstore falls back to DIRECTORY_PART.
    env.start()
    c = env.client()
    names = ["entry-with-a-long-name-%05d" % i for i in range(400)]
    for n in names:
        c.write("/big/" + n, "")
    eq(env.xs("list", "/big").stdout.splitlines(), names)
    expect(len(env.xs("ls", "/big").stdout.splitlines()) == 400, "xenstore-ls /big")


def test_values_with_spaces_and_raw(env):
    env.start()
    env.xs("write", "/v", "two words")
    eq(env.xs("read", "/v").stdout, "two words\n")
    c = env.client()
    c.call("WRITE", raw=b"/bin\0a\x01b")
    eq(env.xs("read", "-R", "/bin").stdout, "a\x01b")  # -R: raw, no newline


def test_many_tool_runs(env):
    # Each run is a connection: opened, a transaction, closed. None may leak.
    env.start()
    for i in range(30):
        env.xs("write", "/n/%d" % i, str(i))
    eq(len(env.xs("list", "/n").stdout.splitlines()), 30)
    c = env.client()
    stats = c.call("CONTROL", "stats").decode()
    expect("connections 1\n" in stats, stats)
    expect("transactions 0\n" in stats, stats)
