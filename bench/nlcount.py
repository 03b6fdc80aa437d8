#!/usr/bin/python3
"""Count netlink requests in an nlmon capture.

nlcount.py PCAP

PCAP is a classic pcap file captured on an nlmon device (link type 253,
LINKTYPE_NETLINK: a 16-byte cooked header whose last two bytes, big endian,
are the netlink family, then the netlink messages of one skb).  Prints
"FAMILY TYPE COUNT" for every request (NLM_F_REQUEST set: userspace ->
kernel) and a last line "total N" with N the requests of NETLINK_XFRM (6).
"""
import struct
import sys

FAMILIES = {0: "route", 6: "xfrm", 16: "generic"}
XFRM_TYPES = {16: "NEWSA", 17: "DELSA", 18: "GETSA", 19: "NEWPOLICY",
              20: "DELPOLICY", 21: "GETPOLICY", 22: "ALLOCSPI",
              25: "UPDPOLICY", 26: "UPDSA", 28: "FLUSHSA", 29: "FLUSHPOLICY",
              35: "GETSADINFO", 37: "GETSPDINFO"}


def main():
    data = open(sys.argv[1], "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        sys.exit("nlcount: not a little-endian classic pcap")
    linktype = struct.unpack("<I", data[20:24])[0]
    if linktype != 253:
        sys.exit("nlcount: link type %d, not netlink (253)" % linktype)
    off = 24
    counts = {}
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 16:
            continue
        fam = struct.unpack(">H", pkt[14:16])[0]
        p = 16
        while p + 16 <= len(pkt):
            ln, typ, flags = struct.unpack("<IHH", pkt[p:p + 8])
            if ln < 16:
                break
            if flags & 1:
                k = (fam, typ)
                counts[k] = counts.get(k, 0) + 1
            p += (ln + 3) & ~3
    total = 0
    for (fam, typ), c in sorted(counts.items()):
        name = XFRM_TYPES.get(typ, str(typ)) if fam == 6 else str(typ)
        print("%s %s %d" % (FAMILIES.get(fam, str(fam)), name, c))
        if fam == 6:
            total += c
    print("total %d" % total)


if __name__ == "__main__":
    main()
