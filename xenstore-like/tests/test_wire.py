"""The wire protocol over the socket, from several connections at once."""
import socket
import struct

from storetest import HDR, XS, eq, expect


def test_errors_and_replies(env):
    env.start()
    c = env.client()
    eq(c.error_of("READ", "/missing"), "ENOENT")
    eq(c.error_of("WRITE", raw=b"bad//path\0x"), "EINVAL")
    eq(c.error_of("TRANSACTION_END", "T", tx=42), "ENOENT")
    eq(c.error_of(20, raw=b""), "EINVAL")
    eq(c.call("WRITE", raw=b"/a\0v"), b"OK\0")
    eq(c.call("GET_DOMAIN_PATH", "9"), b"/local/domain/9\0")
    eq(c.call("GET_PERMS", "/a"), b"n0\0")
    eq(c.call("DIRECTORY", "/"), b"a\0")
    eq(c.call("IS_DOMAIN_INTRODUCED", "0"), b"T\0")
    eq(c.call("CONTROL", "check"), b"OK\0")


def test_transaction_conflict_between_connections(env):
    env.start()
    a, b = env.client(), env.client()
    a.write("/cnt", "0")
    tx = int(a.call("TRANSACTION_START", "").rstrip(b"\0"))
    eq(a.read("/cnt", tx=tx), "0")
    a.write("/cnt", "1", tx=tx)
    b.write("/cnt", "5")
    eq(a.error_of("TRANSACTION_END", "T", tx=tx), "EAGAIN")
    eq(b.read("/cnt"), "5")
    tx = int(a.call("TRANSACTION_START", "").rstrip(b"\0"))
    a.write("/cnt", "6", tx=tx)
    eq(a.call("TRANSACTION_END", "T", tx=tx), b"OK\0")
    eq(b.read("/cnt"), "6")


def test_watch_events_across_connections(env):
    env.start()
    w, c = env.client(), env.client()
    w.call("WATCH", "/dev", "tok")
    eq(w.event(), ("/dev", "tok"))
    c.write("/dev/vif/0/state", "1")
    eq(w.event(), ("/dev/vif/0/state", "tok"))
    c.call("RM", "/dev/vif")
    eq(w.event(), ("/dev/vif", "tok"))
    w.call("UNWATCH", "/dev", "tok")
    c.write("/dev/x", "1")
    eq(w.event(timeout=0.3), None)


def test_introduce_release_events(env):
    # --rings none: INTRODUCE records the domain without a ring connection.
    env.start()
    w, tool = env.client(), env.client()
    w.call("WATCH", "@introduceDomain", "i")
    w.call("WATCH", "@releaseDomain", "r")
    eq(w.event(), ("@introduceDomain", "i"))
    eq(w.event(), ("@releaseDomain", "r"))
    tool.call("MKDIR", "/local/domain/7")
    tool.call("SET_PERMS", "/local/domain/7", "n7")
    tool.call("INTRODUCE", "7", "4660", "3")
    eq(w.event(), ("@introduceDomain", "i"))
    eq(tool.call("IS_DOMAIN_INTRODUCED", "7"), b"T\0")
    eq(tool.error_of("INTRODUCE", "7", "1", "3"), "EEXIST")
    tool.call("RELEASE", "7")
    eq(w.event(), ("@releaseDomain", "r"))
    eq(tool.call("IS_DOMAIN_INTRODUCED", "7"), b"F\0")
    eq(tool.error_of("RELEASE", "7"), "ENOENT")
    expect("domain 7 introduced" in env.log_text(), "the log names the introduction")


def test_pipelined_requests(env):
    # Many requests sent at once are all answered, in order.
    env.start()
    c = env.client()
    ids = [c.send("WRITE", b"/p/%d\0v" % i) for i in range(300)]
    for i in ids:
        t, r, _, body = c.reply(i)
        eq((t, r, body), (XS["WRITE"], i, b"OK\0"))
    eq(len(c.call("DIRECTORY", "/p").split(b"\0")) - 1, 300)


def test_oversized_message_disconnects(env):
    env.start()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(env.sock)
    s.sendall(HDR.pack(XS["READ"], 1, 0, 4097))
    s.settimeout(5)
    eq(s.recv(16), b"", "the store closes the connection")
    s.close()
    # Others carry on.
    eq(env.client().call("GET_DOMAIN_PATH", "1"), b"/local/domain/1\0")


def test_half_messages_and_disconnects(env):
    env.start()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(env.sock)
    msg = HDR.pack(XS["WRITE"], 1, 0, 6) + b"/h\0abc"
    for i in range(len(msg)):  # a byte at a time
        s.sendall(msg[i:i + 1])
    s.settimeout(5)
    eq(struct.unpack("<IIII", s.recv(16))[0], XS["WRITE"])
    s.sendall(HDR.pack(XS["READ"], 2, 0, 10) + b"/h")  # then vanish mid-message
    s.close()
    c = env.client()
    eq(c.read("/h"), "abc")
    stats = c.call("CONTROL", "stats").decode()
    expect("connections 1\n" in stats, stats)


def test_control(env):
    env.start("--quota-nodes", "77")
    c = env.client()
    out = c.call("CONTROL", "quota").decode()
    expect(any(l.split()[:2] == ["nodes", "77"] for l in out.splitlines()), out)
    eq(c.call("CONTROL", "quota-set", "watches", "9"), b"OK\0")
    expect("watches" in c.call("CONTROL", "quota").decode(), "quota list")
    eq(c.error_of("CONTROL", "frobnicate"), "EINVAL")
    eq(c.call("CONTROL", "log", "on"), b"OK\0")
    c.write("/logged", "1")
    expect("WRITE /logged" in env.log_text(), "request logged after CONTROL log on")
    expect("check" in c.call("CONTROL", "help").decode(), "help lists check")
