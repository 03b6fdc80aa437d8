#!/usr/bin/python3
"""pcap-send.py IFACE FILE...: send every frame of classic pcap files
(Ethernet link type, as ah6-hbh.py writes them with --dst-mac) out of
IFACE through an AF_PACKET socket, unchanged, in file order.  Prints the
number sent.  Standard library only (quick to start, unlike scapy), run as
root in the network namespace that holds IFACE.
"""
import socket
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit("pcap-send: %s: not a classic pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit("pcap-send: %s: link type %d, not Ethernet" % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((sys.argv[1], 0))
    n = 0
    for path in sys.argv[2:]:
        for fr in frames(path):
            s.send(fr)
            n += 1
    print("pcap-send: %d frames sent on %s" % (n, sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
