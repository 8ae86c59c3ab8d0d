#!/usr/bin/env python3
"""Writes seed inputs for the mica-store fuzz targets (fuzz_store_msg, fuzz_store_ring).

usage: tests/fuzz/make_store_seeds.py OUTDIR   (makes OUTDIR/store_msg and OUTDIR/store_ring)
Message types are read from pvdrivers/include/pv/io/xs_wire.h.
"""
import os
import re
import struct
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
with open(os.path.join(ROOT, "pvdrivers", "include", "pv", "io", "xs_wire.h")) as f:
    XS = {m[0]: int(m[1]) for m in re.findall(r"\bXS_(\w+) = (\d+)", f.read())}


def rec(client, type_, *args, tx=0, raw=None):
    """One fuzz_store_msg record: client, type, transaction selector, u16 length, payload."""
    payload = raw if raw is not None else b"".join(a.encode() + b"\0" for a in args)
    return struct.pack("<BBBH", client, XS[type_], tx, len(payload)) + payload


def msg_seeds():
    yield "basic", (rec(0, "WRITE", raw=b"/a/b\0hello") + rec(0, "READ", "/a/b")
                    + rec(0, "DIRECTORY", "/a") + rec(0, "GET_PERMS", "/a/b")
                    + rec(0, "RM", "/a"))
    yield "guest", (rec(1, "WRITE", raw=b"data/x\0v") + rec(1, "MKDIR", "data/y")
                    + rec(1, "SET_PERMS", "data/x", "n1", "r2") + rec(2, "READ", "/local/domain/1/data/x")
                    + rec(1, "WATCH", "data", "t") + rec(0, "WRITE", raw=b"/local/domain/1/data/z\0q"))
    yield "txn", (rec(1, "TRANSACTION_START", "") + rec(1, "WRITE", raw=b"k\0v", tx=1)
                  + rec(2, "TRANSACTION_START", "") + rec(2, "READ", "/local/domain/1/k", tx=1)
                  + rec(1, "TRANSACTION_END", "T", tx=1) + rec(2, "TRANSACTION_END", "T", tx=1))
    yield "domains", (rec(0, "WATCH", "@releaseDomain", "r") + rec(0, "RELEASE", "2")
                      + rec(0, "INTRODUCE", "2", "99", "4") + rec(2, "GET_DOMAIN_PATH", "2")
                      + rec(0, "IS_DOMAIN_INTRODUCED", "2") + rec(0, "SET_TARGET", "3", "1")
                      + rec(0, "CONTROL", "check") + rec(0, "CONTROL", "quota", "1"))
    yield "part", b"".join(rec(0, "WRITE", raw=b"/d/child-%03d\0" % i) for i in range(40)) + \
        rec(0, "DIRECTORY_PART", "/d", "0") + rec(0, "DIRECTORY_PART", "/d", "13")
    yield "quota", b"".join(rec(3, "WRITE", raw=b"n%d\0xxxxxxxx" % i) for i in range(45))


def ring_seeds():
    def req(type_, payload, rid=1):
        m = struct.pack("<IIII", XS[type_], rid, 0, len(payload)) + payload
        return bytes([0, len(m)]) + m
    yield "requests", req("WRITE", b"x\0y") + req("READ", b"x\0") + bytes([3]) + \
        req("WATCH", b"x\0t\0") + bytes([5, 3])
    yield "hostile", bytes([2, 0]) + struct.pack("<I", 0xffffff00) + bytes([4, 3]) + \
        req("GET_DOMAIN_PATH", b"1\0")
    yield "oversize", bytes([0, 16]) + struct.pack("<IIII", XS["READ"], 1, 0, 5000) + bytes([4])
    yield "events", bytes([6, 5, 5, 5, 5, 5, 5, 5, 5, 3, 5])


def main():
    out = sys.argv[1]
    for name, seeds in (("store_msg", msg_seeds()), ("store_ring", ring_seeds())):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for seed_name, data in seeds:
            with open(os.path.join(d, seed_name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
