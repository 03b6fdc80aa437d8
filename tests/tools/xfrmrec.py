#!/usr/bin/python3
"""xfrmrec.py: record what the kernel sends on a NETLINK_XFRM socket, as raw
bytes (struct nlmsghdr onward, host byte order as sent), for the byte
fixtures in tests/data/xfrm/ (see its README and tests/uml/rec-xfrm.sh).

  xfrmrec.py dump sa|policy OUT
        one dump (XFRM_MSG_GETSA / GETPOLICY with NLM_F_DUMP) in the caller's
        network namespace; OUT gets every reply message up to and including
        NLMSG_DONE, in the order received.
  xfrmrec.py listen OUT COUNT SECONDS READY [GROUP...]
        join the multicast groups (default: expire sa policy), create the file
        READY once joined, then append each message received to OUT until
        COUNT messages came; exit status 1 if SECONDS pass first (what came so
        far is kept).  COUNT 0: until SECONDS pass without a message.
  xfrmrec.py getsa-missing OUT
        XFRM_MSG_GETSA for an SA that does not exist (192.0.2.1, ESP, SPI 1)
        with extended ACKs on; OUT gets the NLMSG_ERROR reply.
  xfrmrec.py getae OUT DADDR SPI PROTO
        XFRM_MSG_GETAE for the state (DADDR, SPI in hex, PROTO number);
        OUT gets the NEWAE reply (the layout of an aevent).
  xfrmrec.py cut IN OUT INDEX KEEP
        message INDEX (0-based) of IN alone, cut to its first KEEP bytes
        (KEEP < 0: all but the last -KEEP bytes); nlmsg_len is left as the
        kernel wrote it, so it claims more bytes than there are.
  xfrmrec.py show FILE...
        one line per message: offset, length, type and the main fields.

Only the standard library.  The kernel answers XFRM requests and lets a
socket join XFRM groups only with CAP_NET_ADMIN: run it as root, inside the
network namespace to record (nsenter --net=...).
"""
import os
import select
import socket
import struct
import sys
import time

NETLINK_XFRM = 6
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3

MSG = {0x10: "NEWSA", 0x11: "DELSA", 0x12: "GETSA", 0x13: "NEWPOLICY",
       0x14: "DELPOLICY", 0x15: "GETPOLICY", 0x16: "ALLOCSPI", 0x17: "ACQUIRE",
       0x18: "EXPIRE", 0x19: "UPDPOLICY", 0x1a: "UPDSA", 0x1b: "POLEXPIRE",
       0x1c: "FLUSHSA", 0x1d: "FLUSHPOLICY", 0x1e: "NEWAE", 0x1f: "GETAE", 1: "NOOP", NLMSG_ERROR: "ERROR",
       NLMSG_DONE: "DONE"}
GROUPS = {"acquire": 1, "expire": 2, "sa": 3, "policy": 4, "aevents": 5}
PROTO = {50: "esp", 51: "ah", 108: "comp", 4: "ipip", 41: "ipv6", 255: "any", 0: "any(0)"}
MODE = {0: "transport", 1: "tunnel"}
DIR = {0: "in", 1: "out", 2: "fwd"}

# sizes of the fixed payloads (x86-64 and UML/x86-64 layouts)
SEL, USERSA_INFO, USERPOLICY_INFO, USERSA_ID, USERPOLICY_ID = 56, 224, 168, 24, 64
XFRMA_SA, XFRMA_POLICY, XFRMA_TMPL = 6, 7, 5


def nl_socket(groups=0):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.bind((0, groups))
    return s


def split(data):
    """(offset, bytes) of each message; a short tail is one 'message'."""
    off = 0
    while off < len(data):
        if len(data) - off < 16:
            yield off, data[off:]
            return
        n = struct.unpack_from("=I", data, off)[0]
        if n < 16:
            yield off, data[off:]
            return
        yield off, data[off:off + n]
        off += (n + 3) & ~3


def request(s, mtype, flags, payload=b""):
    hdr = struct.pack("=IHHII", 16 + len(payload), mtype, flags, 1, 0)
    s.send(hdr + payload)


def cmd_dump(what, out):
    s = nl_socket()
    request(s, 0x12 if what == "sa" else 0x15, NLM_F_REQUEST | NLM_F_DUMP)
    got = bytearray()
    done = False
    while not done:
        d = s.recv(1 << 20)
        got += d
        for _, m in split(d):
            t = struct.unpack_from("=H", m, 4)[0]
            if t in (NLMSG_DONE, NLMSG_ERROR):
                done = True
    with open(out, "wb") as f:
        f.write(got)
    return 0


def cmd_listen(out, count, seconds, ready, groups):
    mask = 0
    for g in groups or ["expire", "sa", "policy"]:
        mask |= 1 << (GROUPS[g] - 1)
    s = nl_socket(mask)
    open(ready, "w").close()
    n, end = 0, time.monotonic() + seconds
    with open(out, "wb") as f:
        while count == 0 or n < count:
            if count == 0:
                end = time.monotonic() + seconds
            left = end - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                if count == 0:
                    return 0 if n else 1
                print("xfrmrec: %d of %d messages in %ss" % (n, count, seconds),
                      file=sys.stderr)
                return 1
            d = s.recv(1 << 20)
            f.write(d)
            f.flush()
            n += sum(1 for _ in split(d))
    return 0


def cmd_getsa_missing(out):
    s = nl_socket()
    daddr = socket.inet_pton(socket.AF_INET, "192.0.2.1") + bytes(12)
    payload = daddr + struct.pack("!I", 1) + struct.pack("=HB", socket.AF_INET, 50) + bytes(1)
    request(s, 0x12, NLM_F_REQUEST | NLM_F_ACK, payload)
    with open(out, "wb") as f:
        f.write(s.recv(1 << 16))
    return 0


def cmd_getae(out, daddr, spi, proto):
    s = nl_socket()
    fam = socket.AF_INET6 if ":" in daddr else socket.AF_INET
    a = socket.inet_pton(fam, daddr)
    a += bytes(16 - len(a))
    # xfrm_aevent_id: usersa_id (daddr, spi, family, proto, pad), saddr, flags, reqid
    payload = a + struct.pack("!I", spi) + struct.pack("=HB", fam, proto) + bytes(1)
    payload += bytes(16) + struct.pack("=II", 0, 0)
    request(s, 0x1f, NLM_F_REQUEST, payload)
    with open(out, "wb") as f:
        f.write(s.recv(1 << 16))
    return 0


def cmd_cut(src, out, index, keep):
    msgs = list(split(open(src, "rb").read()))
    m = msgs[index][1]
    keep = len(m) + keep if keep < 0 else keep
    if not 0 < keep < len(m):
        print("xfrmrec: cut: keep %d of a %d-byte message?" % (keep, len(m)), file=sys.stderr)
        return 1
    with open(out, "wb") as f:
        f.write(m[:keep])
    return 0


def addr(fam, b):
    if fam == socket.AF_INET:
        return socket.inet_ntop(fam, b[:4])
    if fam == socket.AF_INET6:
        return socket.inet_ntop(fam, b[:16])
    return "-"


def attrs(m, off):
    """{type: [payload...]} of the attributes from off to the message end."""
    a = {}
    while off + 4 <= len(m):
        n, t = struct.unpack_from("=HH", m, off)
        if n < 4 or off + n > len(m):
            a.setdefault("bad", []).append(off)
            break
        a.setdefault(t & 0x3fff, []).append(m[off + 4:off + n])
        off += (n + 3) & ~3
    return a


def sel_text(b):
    fam, pd, ps, proto = struct.unpack_from("=HBBB", b, 40)
    return "sel %s/%d>%s/%d proto %d" % (addr(fam, b[16:32]), ps, addr(fam, b[0:16]), pd, proto)


def sa_text(b):
    spi, = struct.unpack_from("!I", b, 72)
    proto = b[76]
    reqid, fam, mode, rw, flags = struct.unpack_from("=IHBBB", b, 208)
    return "%s spi 0x%08x %s>%s reqid 0x%08x %s flags 0x%02x, %s" % (
        PROTO.get(proto, str(proto)), spi, addr(fam, b[80:96]), addr(fam, b[56:72]),
        reqid, MODE.get(mode, str(mode)), flags, sel_text(b))


def tmpl_text(b):
    out = []
    for o in range(0, len(b) - 63, 64):
        spi, = struct.unpack_from("!I", b, o + 16)
        proto = b[o + 20]
        fam, = struct.unpack_from("=H", b, o + 24)
        reqid, mode, _, opt = struct.unpack_from("=IBBB", b, o + 44)
        t = "%s %s reqid 0x%08x" % (PROTO.get(proto, str(proto)), MODE.get(mode, mode), reqid)
        if mode == 1:
            t += " %s>%s" % (addr(fam, b[o + 28:o + 44]), addr(fam, b[o:o + 16]))
        if opt:
            t += " optional"
        out.append(t)
    return "tmpl [" + ", ".join(out) + "]" if out else "no tmpl"


def pol_text(b, a):
    prio, index, d, action = struct.unpack_from("=IIBB", b, 152)
    return "dir %s prio %d index %d %s, %s, %s" % (
        DIR.get(d, str(d)), prio, index, "block" if action else "allow", sel_text(b),
        tmpl_text(a.get(XFRMA_TMPL, [b""])[0]))


def msg_text(m):
    if len(m) < 16:
        return "%d bytes: not even a header" % len(m)
    n, t, flags, seq, pid = struct.unpack_from("=IHHII", m, 0)
    name = MSG.get(t, "type %d" % t)
    head = "%s len %d flags 0x%x" % (name, n, flags)
    if n > len(m):
        return head + ": TRUNCATED (%d bytes here)" % len(m)
    p = m[16:n]
    if t in (0x10, 0x1a) and len(p) >= USERSA_INFO:
        return head + ": " + sa_text(p)
    if t == 0x18 and len(p) >= USERSA_INFO + 1:
        return head + ": %s, %s" % ("hard" if p[USERSA_INFO] else "soft", sa_text(p))
    if t == 0x11 and len(p) >= USERSA_ID:
        a = attrs(p, USERSA_ID)
        return head + ": " + (sa_text(a[XFRMA_SA][0]) if XFRMA_SA in a else "id only")
    if t in (0x13, 0x19) and len(p) >= USERPOLICY_INFO:
        return head + ": " + pol_text(p, attrs(p, USERPOLICY_INFO))
    if t == 0x1b and len(p) >= USERPOLICY_INFO + 1:
        return head + ": %s, %s" % ("hard" if p[USERPOLICY_INFO] else "soft",
                                    pol_text(p, attrs(p, 176)))
    if t == 0x14 and len(p) >= USERPOLICY_ID:
        a = attrs(p, USERPOLICY_ID)
        if XFRMA_POLICY in a:
            return head + ": " + pol_text(a[XFRMA_POLICY][0], a)
        return head + ": id only"
    if t == 0x17 and len(p) >= 296:
        # xfrm_user_acquire: id (daddr 16, spi 4, proto 1), saddr, sel, policy ...
        spi, = struct.unpack_from("!I", p, 16)
        fam, = struct.unpack_from("=H", p, 40 + 40)
        return head + ": %s %s>%s, %s, %s" % (
            PROTO.get(p[20], str(p[20])), addr(fam, p[24:40]), addr(fam, p[0:16]),
            sel_text(p[40:96]), pol_text(p[96:264], attrs(p, 280)))
    if t == 0x1e and len(p) >= 48:
        spi, = struct.unpack_from("!I", p, 16)
        fam, proto = struct.unpack_from("=HB", p, 20)
        flags, reqid = struct.unpack_from("=II", p, 40)
        a = attrs(p, 48)
        ltime = a.get(9, [b""])[0]  # XFRMA_LTIME_VAL
        cur = ""
        if len(ltime) >= 32:
            cur = ", bytes %d packets %d" % struct.unpack_from("=QQ", ltime, 0)
        return head + ": %s spi 0x%08x dst %s reqid 0x%08x flags 0x%x%s" % (
            PROTO.get(proto, str(proto)), spi, addr(fam, p[0:16]), reqid, flags, cur)
    if t == 0x1c and len(p) >= 1:
        return head + ": proto %s" % PROTO.get(p[0], str(p[0]))
    if t == NLMSG_ERROR and len(p) >= 4:
        e, = struct.unpack_from("=i", p, 0)
        # NLM_F_CAPPED (0x100): the request's header only, else all of it
        orig = 16 if flags & 0x100 or len(p) < 8 else struct.unpack_from("=I", p, 4)[0]
        a = attrs(p, 4 + ((orig + 3) & ~3)) if flags & 0x200 else {}
        txt = a.get(1, [b""])[0].rstrip(b"\0").decode(errors="replace")
        return head + ": errno %d%s" % (-e, (" \"%s\"" % txt) if txt else "")
    return head


def cmd_show(files):
    for fn in files:
        data = open(fn, "rb").read()
        print("%s: %d bytes" % (fn, len(data)))
        for off, m in split(data):
            print("  @%-5d %s" % (off, msg_text(m)))
    return 0


def main(argv):
    try:
        if argv[0] == "dump" and len(argv) == 3 and argv[1] in ("sa", "policy"):
            return cmd_dump(argv[1], argv[2])
        if argv[0] == "listen" and len(argv) >= 5:
            return cmd_listen(argv[1], int(argv[2]), float(argv[3]), argv[4], argv[5:])
        if argv[0] == "getsa-missing" and len(argv) == 2:
            return cmd_getsa_missing(argv[1])
        if argv[0] == "getae" and len(argv) == 5:
            return cmd_getae(argv[1], argv[2], int(argv[3], 16), int(argv[4]))
        if argv[0] == "cut" and len(argv) == 5:
            return cmd_cut(argv[1], argv[2], int(argv[3]), int(argv[4]))
        if argv[0] == "show" and len(argv) >= 2:
            return cmd_show(argv[1:])
    except IndexError:
        pass
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
