#!/usr/bin/python3
"""viewlat.py VIEW N: the view's latency to kernel changes.  Feeds N
`xfrm state add` commands, one at a time, to one `ip -batch -` process
(no process start per change), and after each polls VIEW (ipsec_spigrp)
every 0.5 ms until the new state's line is there; then the same for N
deletes until the line is gone.  Each change is timed twice: from the
command's write to ip, and from the kernel's event (XFRM_MSG_NEWSA /
DELSA, as a netlink socket of our own in group XFRMNLGRP_SA receives it:
the kernel's own time to add an ESP state, crypto set-up included, is
left out).  Run inside the network namespace (the states go there).
Prints "add MEDIAN P99 MAX" (from the command, ms), "add-event MEDIAN P99
MAX" (from the event), the same for "del", then "polls N"."""
import os
import socket
import subprocess
import sys
import time

SRC, DST = "192.168.2.100", "192.168.2.110"
KEY_E = "0x" + "11" * 16
KEY_A = "0x" + "22" * 32


def said(spi):
    return "esp.%x@%s " % (spi, DST)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode()


def wait(path, token, present, polls):
    while True:
        polls[0] += 1
        line_there = any(l.startswith(token) for l in read(path).splitlines(True))
        if line_there == present:
            return time.perf_counter()
        time.sleep(0.0005)


NETLINK_XFRM = 6
XFRMNLGRP_SA = 3


def event_socket():
    """A netlink socket that receives the namespace's SA events."""
    sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sk.bind((0, 1 << (XFRMNLGRP_SA - 1)))
    return sk


def event_time(sk):
    """When the next SA event arrives (perf_counter seconds)."""
    sk.settimeout(10)
    sk.recv(65536)
    return time.perf_counter()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    view, n = sys.argv[1], int(sys.argv[2])
    ip = subprocess.Popen(["ip", "-batch", "-"], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, bufsize=1)
    polls = [0]
    res = {}
    sk = event_socket()
    for op in ("add", "del"):
        lat, lev = [], []
        for i in range(n):
            spi = 0x7a000000 + i
            if op == "add":
                cmd = ("xfrm state add src %s dst %s proto esp spi 0x%x reqid 77 "
                       "mode transport enc cbc(aes) %s auth-trunc hmac(sha256) %s 128\n"
                       % (SRC, DST, spi, KEY_E, KEY_A))
            else:
                cmd = "xfrm state delete src %s dst %s proto esp spi 0x%x\n" % (SRC, DST, spi)
            t0 = time.perf_counter()
            ip.stdin.write(cmd)
            ip.stdin.flush()
            tev = event_time(sk)
            t1 = wait(view, said(spi), op == "add", polls)
            lat.append((t1 - t0) * 1000)
            lev.append((t1 - tev) * 1000)
        res[op] = lat
        res[op + "-event"] = lev
    ip.stdin.close()
    err = ip.stderr.read()
    if ip.wait() != 0:
        print("ip -batch failed: " + err[:300], file=sys.stderr)
        sys.exit(1)
    for op in ("add", "add-event", "del", "del-event"):
        v = res[op]
        print("%s %.2f %.2f %.2f" % (op, pct(v, 0.5), pct(v, 0.99), max(v)))
    print("polls %d" % polls[0])


if __name__ == "__main__":
    main()
