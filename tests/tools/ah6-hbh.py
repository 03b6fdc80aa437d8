#!/usr/bin/python3
"""ah6-hbh.py: build IPsec packets for one group of a spigrpd config with
scapy, for injection into a receiver (the Linux kernel in UML, or
spigrpd's userspace datapath), independently of spigrpd's code.

  ah6-hbh.py [options] CONFIG GROUP[,GROUP...]|all OUT.pcap

With more than one group, OUT.pcap becomes OUT-GROUP.pcap per group.

The packet is an ICMP/ICMPv6 echo request from --inner-src to --inner-dst
(default: the first host of the group's src-ts and dst-ts prefixes), then
the group's SAs applied inside to outside as spigrpd.conf(5) lists them:
  tun   outer IPv4/IPv6 header, the SA's src -> dst (the group's next SA
        when the tun is implied by mode = tunnel)
  comp  with --compress, raw deflate (IPComp, RFC 3173); by default the
        packet goes uncompressed (allowed: the receiver's COMP template is
        optional, RFC 3173 §2.2 / the kernel's "level use")
  esp   scapy's SecurityAssociation; with esn the ICV/AAD take the high
        bits --esn-hi (RFC 4303 §2.2.1)
  ah    with IPv6, a hop-by-hop options header sits before AH with one
        immutable option (type 0x1e, RFC 3692 experimental, "skip if
        unknown") and one mutable one (type 0x3e: the 0x20 bit set,
        RFC 8200 §4.2); with IPv4, the outer header carries a Security
        option (type 130, immutable for AH, RFC 1108; the kernel's
        ip_clear_mutable_options keeps it) and a Timestamp option (68,
        mutable).  The ICV covers the packet with the mutable fields
        zeroed (RFC 4302 §3.3.3).
The options go on the outer header before ESP or AH is applied, so a
group without AH carries them too (--no-options leaves them out).

Variants (--flip WHAT[,WHAT...]; with more than one, OUT.pcap becomes
OUT-WHAT.pcap per variant, and variant k (from 0) uses the sequence
numbers from --seq + k * --count on):
  none       the packet as built (must be accepted)
  immutable  one byte of the immutable option's data flipped (must be
             rejected: AH ICV failure)
  mutable    one byte of the mutable option's data changed (must still be
             accepted: the ICV does not cover it)
  esp        one bit of the ESP ICV flipped before AH is computed (AH
             verifies, ESP fails)

Options: --seq N (sequence number of every SA, default 1), --count N (N
packets, sequence numbers N, N+1, ...), --esn-hi N, --inner-src ADDR,
--inner-dst ADDR, --compress, --flip WHAT, --payload-len N (echo data
bytes, default 64), --dst-mac/--src-mac (an Ethernet header: the pcap is
then linktype Ethernet; without, raw IP).  The output is a pcap; send it
with e.g. scapy's sendp or tcpreplay.  --send IFACE sends it as well
(Ethernet, needs --dst-mac).
"""
import argparse
import ipaddress
import logging
import os
import struct
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spigrpconf  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import ICMP, IP, IPOption_Security, IPOption_Timestamp  # noqa: E402
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, IPv6,  # noqa: E402
                                IPv6ExtHdrHopByHop)
from scapy.layers.ipsec import AH, AUTH_ALGOS, ESP, AuthAlgo, zero_mutable_fields  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402
from scapy.all import conf as scapy_conf, sendp  # noqa: E402

IMMUTABLE_OPT, MUTABLE_OPT = 0x1e, 0x3e
IMMUTABLE_DATA = b"\x11\x22\x33\x44"
MUTABLE_DATA = b"\xa1\xa2\xa3\xa4"


def first_host(prefixes):
    net = prefixes[0]
    return net.network_address + (1 if net.num_addresses > 1 else 0)


def inner_packet(src, dst, n, plen):
    data = bytes((i * 7 + n) & 0xff for i in range(plen))
    if src.version == 4:
        return IP(src=str(src), dst=str(dst), ttl=64) / ICMP(id=0x5347, seq=n) / Raw(data)
    return IPv6(src=str(src), dst=str(dst), hlim=64) / ICMPv6EchoRequest(id=0x5347, seq=n, data=data)


def outer_header(sa):
    """The tun SA's outer header (no payload)."""
    if sa.dst.version == 4:
        return IP(src=str(sa.src), dst=str(sa.dst), ttl=64, flags="DF")
    return IPv6(src=str(sa.src), dst=str(sa.dst), hlim=64)


def add_options(pkt):
    """@pkt with the test options in its outer header: a hop-by-hop header
    after the IPv6 header, or options in the IPv4 header."""
    if pkt.version == 4:
        hl = pkt.ihl * 4
        head = IP(bytes(pkt)[:hl])
        head.options = [IPOption_Security(security=0x5555, compartment=0x1234),
                        IPOption_Timestamp(flg=0, pointer=5, timestamp=[0])]
        head.ihl = head.len = head.chksum = None
        return IP(bytes(head / Raw(bytes(pkt)[hl:])))
    raw_pkt = bytearray(bytes(pkt))
    ext = hbh()
    ext.nh = raw_pkt[6]
    ext = bytes(ext)
    raw_pkt[6] = 0
    struct.pack_into(">H", raw_pkt, 4, len(raw_pkt) - 40 + len(ext))
    return IPv6(bytes(raw_pkt[:40]) + ext + bytes(raw_pkt[40:]))


def hbh():
    return IPv6ExtHdrHopByHop(options=[
        HBHOptUnknown(otype=IMMUTABLE_OPT, optdata=IMMUTABLE_DATA),
        HBHOptUnknown(otype=MUTABLE_OPT, optdata=MUTABLE_DATA)])



def esp_apply(sa, pkt, seq, hi, bad_icv=False):
    """ESP in transport mode over @pkt's outer header; HMAC ICVs with ESN
    computed here (scapy's ESP signing leaves out the high bits).  With
    @bad_icv one bit of the ICV is flipped (before any AH covers it)."""
    ssa = spigrpconf.scapy_sa(sa)
    if sa.is_aead() or not sa.auth:
        out = ssa.encrypt(pkt, seq_num=seq, esn_en=sa.esn, esn=hi)
    else:
        auth_algo, auth_key = ssa.auth_algo, ssa.auth_key
        ssa.auth_algo = null_auth()
        out = ssa.encrypt(pkt, seq_num=seq)
        esp = out[ESP]
        mac = auth_algo.new_mac(auth_key)
        mac.update(bytes(esp) + (struct.pack(">I", hi) if sa.esn else b""))
        esp.data += mac.finalize()[:auth_algo.icv_size]
        if out.version == 4:
            out.len = out.chksum = None
        else:
            out.plen = None
    if bad_icv:
        out[ESP].data = out[ESP].data[:-1] + bytes([out[ESP].data[-1] ^ 1])
    return out.__class__(bytes(out))


class AhSigner(AuthAlgo):
    """scapy's AuthAlgo, signing the AH layer even when ESP follows it
    (AuthAlgo.sign() looks for ESP first and would sign that instead)."""

    def __init__(self, base):
        super().__init__(base.name, base.mac, base.digestmod, base.icv_size, base.key_size)

    def sign(self, pkt, key, esn_en=False, esn=0):
        clone = zero_mutable_fields(pkt.copy(), sending=True)
        mac = self.new_mac(key)
        mac.update(bytes(clone) + (struct.pack(">I", esn) if esn_en else b""))
        pkt[AH].icv = mac.finalize()[:self.icv_size]
        return pkt


def ah_apply(sa, pkt, seq, hi):
    """AH over @pkt (transport mode, after the outer header's hop-by-hop
    options), ICV over the packet with mutable fields zeroed."""
    ssa = spigrpconf.scapy_sa(sa)
    ssa.auth_algo = AhSigner(ssa.auth_algo)
    out = ssa.encrypt(pkt, seq_num=seq, esn_en=sa.esn, esn=hi)
    return out.__class__(bytes(out))


def null_auth():
    return AUTH_ALGOS["NULL"]


def comp_apply(sa, pkt):
    """IPComp (CPI = the SA's SPI) over @pkt's payload after its header."""
    raw_pkt = bytes(pkt)
    if pkt.version == 4:
        hl = pkt.ihl * 4
        nh, head, payload = pkt.proto, raw_pkt[:hl], raw_pkt[hl:]
    else:
        nh, head, payload = pkt.nh, raw_pkt[:40], raw_pkt[40:]
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = struct.pack(">BBH", nh, 0, sa.spi) + c.compress(payload) + c.flush()
    head = bytearray(head)
    if pkt.version == 4:
        head[9] = 108
        struct.pack_into(">HH", head, 2, len(head) + len(body), struct.unpack_from(">H", head, 4)[0])
        head[10:12] = b"\0\0"
        return IP(bytes(head) + body)
    head[6] = 108
    struct.pack_into(">H", head, 4, len(body))
    return IPv6(bytes(head) + body)


def build(conf, group, args, n, variant):
    g = conf.groups[group]
    sas = g.sas
    if not sas:
        raise SystemExit("ah6-hbh: group %s has no SAs" % group)
    src = ipaddress.ip_address(args.inner_src) if args.inner_src else first_host(g.src_ts)
    dst = ipaddress.ip_address(args.inner_dst) if args.inner_dst else first_host(g.dst_ts)
    pkt = inner_packet(src, dst, n, args.payload_len)
    seq = args.seq + n
    opts = not args.no_options
    tunneled = False
    for sa in sas:
        if sa.proto == "tun":
            pkt = outer_header(sa) / pkt
            pkt = pkt.__class__(bytes(pkt))
            tunneled = True
        elif sa.proto == "comp":
            if args.compress:
                pkt = comp_apply(sa, pkt)
        elif sa.proto in ("esp", "ah"):
            if opts and tunneled:
                pkt = add_options(pkt)
                opts = False
            if sa.proto == "esp":
                pkt = esp_apply(sa, pkt, seq, args.esn_hi, variant == "esp")
            else:
                pkt = ah_apply(sa, pkt, seq, args.esn_hi)
    if not tunneled:
        raise SystemExit("ah6-hbh: group %s has no tun SA (transport mode is part 2)" % group)
    return flip(pkt, variant)


def find_opt(raw_pkt, v6, otype):
    """Offset of the data of the option @otype in the outer header."""
    if v6:
        if raw_pkt[6] != 0:
            return None
        off, end = 42, 40 + (raw_pkt[41] + 1) * 8
        while off < end:
            t = raw_pkt[off]
            if t == 0:
                off += 1
                continue
            if t == otype:
                return off + 2
            off += 2 + raw_pkt[off + 1]
        return None
    hl = (raw_pkt[0] & 15) * 4
    off = 20
    while off < hl:
        t = raw_pkt[off]
        if t in (0, 1):
            off += 1
            continue
        if t == otype:
            return off + 2
        off += raw_pkt[off + 1]
    return None


def ip_checksum(b):
    """Set the IPv4 header checksum of the packet in bytearray @b."""
    hl = (b[0] & 15) * 4
    b[10:12] = b"\0\0"
    s = sum(struct.unpack(">%dH" % (hl // 2), bytes(b[:hl])))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    struct.pack_into(">H", b, 10, ~s & 0xffff)


def flip(pkt, what):
    if what in ("none", "esp"):
        return pkt
    b = bytearray(bytes(pkt))
    v6 = pkt.version == 6
    if what in ("immutable", "mutable"):
        t = (IMMUTABLE_OPT if v6 else 130) if what == "immutable" else (MUTABLE_OPT if v6 else 68)
        off = find_opt(b, v6, t)
        if off is None:
            raise SystemExit("ah6-hbh: no option to flip in this packet")
        # the timestamp option's data starts with the pointer: change the
        # timestamp itself, the last byte of the option
        if not v6 and t == 68:
            off += 4
        b[off] ^= 0x01
        if not v6:
            ip_checksum(b)
    return pkt.__class__(bytes(b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("group")
    ap.add_argument("out")
    ap.add_argument("--seq", type=int, default=1)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--esn-hi", type=int, default=0)
    ap.add_argument("--inner-src")
    ap.add_argument("--inner-dst")
    ap.add_argument("--payload-len", type=int, default=64)
    ap.add_argument("--compress", action="store_true")
    ap.add_argument("--no-options", action="store_true")
    ap.add_argument("--flip", default="none")
    ap.add_argument("--dst-mac")
    ap.add_argument("--src-mac")
    ap.add_argument("--send")
    args = ap.parse_args()
    conf = spigrpconf.load_or_exit(args.config, "ah6-hbh")
    groups = list(conf.groups) if args.group == "all" else args.group.split(",")
    for g in groups:
        if g not in conf.groups:
            print("ah6-hbh: no group %s in %s" % (g, args.config), file=sys.stderr)
            return 2
    variants = args.flip.split(",")
    for v in variants:
        if v not in ("none", "immutable", "mutable", "esp"):
            print("ah6-hbh: unknown --flip variant %r" % v, file=sys.stderr)
            return 2
    if args.send and not args.dst_mac:
        print("ah6-hbh: --send needs --dst-mac", file=sys.stderr)
        return 2
    base, ext = os.path.splitext(args.out)
    for g in groups:
        for k, v in enumerate(variants):
            # each variant its own sequence numbers: seq + k * count onwards
            pkts = [build(conf, g, args, k * args.count + n, v) for n in range(args.count)]
            if args.dst_mac:
                pkts = [Ether(dst=args.dst_mac, src=args.src_mac or "02:00:00:00:00:01") / p
                        for p in pkts]
            out = base + ("-" + g if len(groups) > 1 else "") + \
                ("-" + v if len(variants) > 1 else "") + (ext or ".pcap")
            wrpcap(out, pkts)
            if args.send:
                scapy_conf.verb = 0
                sendp(pkts, iface=args.send, verbose=False)
            for p in pkts:
                print("%s: %s" % (os.path.basename(out), p.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
