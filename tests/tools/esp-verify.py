#!/usr/bin/python3
"""esp-verify.py: verify every ESP, AH and IPComp packet of a capture with
the keys of a spigrpd config, independently of spigrpd (scapy's IPsec code
for the ICVs and the ciphers, zlib for IPComp).

  esp-verify.py [options] CONFIG PCAP...

For each IP packet of the captures (pcap or pcapng; Ethernet, Linux cooked
or raw IP; outer IPv4/IPv6 fragments reassembled) it peels the IPsec
headers outside in, each looked up by (protocol, SPI/CPI, destination) in
CONFIG's [sa] sections:
  AH      ICV checked over the packet with the mutable fields zeroed
          (RFC 4302 §3.3.3; scapy's zero_mutable_fields), ESN high bits
          appended when the SA has esn (§3.3.2.1)
  ESP     ICV checked (HMAC over header..ciphertext plus the ESN high bits,
          RFC 4303 §2.2.1; AEAD tags with the RFC 4106/7634 AAD), decrypted,
          padding checked (1, 2, 3, ... as §2.4 and Linux), next header taken
  IPComp  flags must be 0; raw deflate inflated (at most 65535 bytes)
  IPIP/IPv6 (next header 4/41): the inner packet; its protocol is counted
The next header after each SA must be one its group allows (the next SA
inwards, IPComp optional, IPIP/IPv6 after a tun), and the inner packet of
a tunnel must lie inside the group's src-ts/dst-ts; and on every ESP/AH
packet, verified or not:
  - no (protocol, SPI, destination, 64-bit sequence number) appears twice
  - no ESP IV appears twice under one SA (for AEAD SAs a repeated IV is a
    nonce reuse)
The ESN high bits are tracked per SA (start --esn-hi, default 0): the
candidates tried are the current value, then +1 and -1.

Output: one line per SA (verified, failed, sequence range, inner
protocols), the first failures, a total; --json FILE writes the same as
JSON.  Exit 0 when every IPsec packet verified, none repeated and at least
--min packets verified; 1 otherwise; 2 on usage or config errors.

Options:
  --min N          at least N packets must verify (default 1)
  --unknown fail|ignore   an ESP/AH/IPComp packet whose SA is not in
                   CONFIG fails (default) or is counted as unknown only
  --crypto-max N   check ICVs and decrypt the first N packets per SA (the
                   repeat checks still cover every packet; default: all)
  --crypto-sample K  past --crypto-max, every K-th packet of an SA still
                   gets its ICV checked and is decrypted
  --esn-hi N       initial ESN high-order 32 bits (default 0)
  --json FILE      the report as JSON
  --quiet          only the total line and failures
"""
import argparse
import ipaddress
import json
import logging
import os
import struct
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spigrpconf  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import ESP, IPSecIntegrityError  # noqa: E402
from scapy.utils import RawPcapReader  # noqa: E402

P_AH, P_ESP, P_COMP, P_IPIP, P_IPV6, P_NONE = 51, 50, 108, 4, 41, 59
V6_EXT = (0, 43, 60)          # hop-by-hop, routing, destination options
INNER_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}
MAX_INFLATE = 65535



def allowed_next(sa):
    """The next headers that may follow @sa's header, from its group's
    chain (inside -> outside): the next SA inwards (IPComp optional, as the
    kernel's "level use" template), a tun SA's IPIP/IPv6; None when the
    SA is the innermost of a transport-mode group (any protocol)."""
    g = sa.group
    if g is None:
        return None
    i = g.sas.index(sa)
    out = set()
    for inner in reversed(g.sas[:i]):
        if inner.proto == "comp":
            out.add(P_COMP)
            continue
        if inner.proto == "tun":
            out |= {P_IPIP, P_IPV6}
        else:
            out.add(P_ESP if inner.proto == "esp" else P_AH)
        return out
    return None if not out else out | {P_NONE}


class SaStats:
    def __init__(self, sa):
        self.sa = sa
        self.ssa = spigrpconf.scapy_sa(sa) if sa.proto in ("esp", "ah") else None
        self.verified = self.failed = self.unchecked = 0
        self.seq_lo = self.seq_hi = None
        self.hi = 0
        self.seen_seq = {}
        self.seen_iv = {}
        self.repeats = 0
        self.inner = {}
        self.allowed = allowed_next(sa)
        self.seen_past_budget = 0

    def note_seq(self, seq64, frame):
        if self.seq_lo is None or seq64 < self.seq_lo:
            self.seq_lo = seq64
        if self.seq_hi is None or seq64 > self.seq_hi:
            self.seq_hi = seq64
        first = self.seen_seq.setdefault(seq64, frame)
        if first != frame:
            self.repeats += 1
            return "sequence number %d repeated (first in frame %d)" % (seq64, first)
        return None

    def note_iv(self, iv, frame):
        first = self.seen_iv.setdefault(iv, frame)
        if first != frame:
            self.repeats += 1
            return "IV %s repeated (first in frame %d)" % (iv.hex(), first)
        return None

    def report(self):
        d = {"said": self.sa.said, "proto": self.sa.proto, "verified": self.verified,
             "failed": self.failed, "unchecked": self.unchecked, "repeats": self.repeats}
        if self.seq_lo is not None:
            d["seq_first"], d["seq_last"] = self.seq_lo, self.seq_hi
            d["distinct_seq"] = len(self.seen_seq)
        if self.seen_iv:
            d["distinct_iv"] = len(self.seen_iv)
        if self.inner:
            d["inner"] = dict(sorted(self.inner.items()))
        return d


class Verifier:
    def __init__(self, conf, args):
        self.conf, self.args = conf, args
        self.stats = {}
        self.failures = []
        self.unknown = {}
        self.frames = self.ipsec = self.clear = self.frags_pending = 0
        self.frag = {}

    def st(self, sa):
        s = self.stats.get(sa.said)
        if s is None:
            s = self.stats[sa.said] = SaStats(sa)
            s.hi = self.args.esn_hi
        return s

    def fail(self, frame, what):
        self.failures.append("frame %d: %s" % (frame, what))

    # ---- link layer and fragments ----
    def l3(self, linktype, data):
        if linktype == 1:                     # Ethernet, VLAN tags skipped
            off, et = 12, None
            while off + 2 <= len(data):
                et = struct.unpack_from(">H", data, off)[0]
                off += 2
                if et not in (0x8100, 0x88a8):
                    break
                off += 2
            return data[off:] if et in (0x0800, 0x86dd) else None
        if linktype == 113:                   # Linux cooked (SLL)
            et = struct.unpack_from(">H", data, 14)[0]
            return data[16:] if et in (0x0800, 0x86dd) else None
        if linktype == 276:                   # SLL2
            et = struct.unpack_from(">H", data, 0)[0]
            return data[20:] if et in (0x0800, 0x86dd) else None
        if linktype in (101, 12, 14, 228, 229):   # raw IP
            return data
        return None

    def defrag4(self, pkt):
        flags_off = struct.unpack_from(">H", pkt, 6)[0]
        if flags_off & 0x3fff == 0:
            return pkt
        hl = (pkt[0] & 15) * 4
        tot = struct.unpack_from(">H", pkt, 2)[0]
        key = (4, pkt[12:20], pkt[4:6], pkt[9])
        return self.collect(key, pkt[:hl], (flags_off & 0x1fff) * 8, pkt[hl:tot],
                            bool(flags_off & 0x2000), 4)

    def defrag6(self, pkt):
        nh, off = pkt[6], 40
        prev = 6
        while nh in V6_EXT and off + 8 <= len(pkt):
            prev, nh, off = off, pkt[off], off + (pkt[off + 1] + 1) * 8
        if nh != 44 or off + 8 > len(pkt):
            return pkt
        fnh = pkt[off]
        fo = struct.unpack_from(">H", pkt, off + 2)[0]
        ident = pkt[off + 4:off + 8]
        head = bytearray(pkt[:off])
        head[prev] = fnh
        end = 40 + struct.unpack_from(">H", pkt, 4)[0]
        key = (6, pkt[8:40], ident)
        return self.collect(key, bytes(head), fo & 0xfff8, pkt[off + 8:end], bool(fo & 1), 6)

    def collect(self, key, head, foff, body, more, ver):
        ent = self.frag.setdefault(key, {"parts": {}, "head": None, "last": None})
        ent["parts"][foff] = body
        if foff == 0:
            ent["head"] = head
        if not more:
            ent["last"] = foff + len(body)
        if ent["head"] is None or ent["last"] is None:
            return None
        buf, pos = b"", 0
        for o in sorted(ent["parts"]):
            if o != pos:
                return None
            buf += ent["parts"][o]
            pos += len(ent["parts"][o])
        if pos != ent["last"]:
            return None
        del self.frag[key]
        head = bytearray(ent["head"])
        if ver == 4:
            struct.pack_into(">HH", head, 2, len(head) + len(buf), 0)
            struct.pack_into(">H", head, 6, 0)
        else:
            struct.pack_into(">H", head, 4, len(head) - 40 + len(buf))
        return bytes(head) + buf

    # ---- one packet ----
    def packet(self, frame, pkt):
        ver = pkt[0] >> 4
        if ver == 4:
            pkt = pkt[:struct.unpack_from(">H", pkt, 2)[0]]
            pkt = self.defrag4(pkt)
        elif ver == 6:
            pkt = pkt[:40 + struct.unpack_from(">H", pkt, 4)[0]]
            pkt = self.defrag6(pkt)
        else:
            return
        if pkt is None:
            return
        nh, off, nhpos = self.first_payload(pkt)
        if nh not in (P_AH, P_ESP, P_COMP):
            self.clear += 1
            return
        self.ipsec += 1
        layers = []
        while nh in (P_AH, P_ESP, P_COMP):
            step = {P_AH: self.do_ah, P_ESP: self.do_esp, P_COMP: self.do_comp}[nh]
            res = step(frame, pkt, off, nhpos)
            if res is None:
                return
            sa, pkt, nh = res
            layers.append(sa)
            allowed = self.st(sa).allowed
            if allowed is not None and nh not in allowed:
                self.st(sa).verified -= 1
                self.st(sa).failed += 1
                self.fail(frame, "%s: next header %d, but its group allows only %s" %
                          (sa.said, nh, sorted(allowed)))
                return
        self.count_inner(frame, layers, pkt, nh, off)

    def first_payload(self, pkt):
        """(next header, its offset, offset of the byte naming it)."""
        if pkt[0] >> 4 == 4:
            return pkt[9], (pkt[0] & 15) * 4, 9
        nh, off, pos = pkt[6], 40, 6
        while nh in V6_EXT and off + 8 <= len(pkt):
            pos, nh, off = off, pkt[off], off + (pkt[off + 1] + 1) * 8
        return nh, off, pos

    def splice(self, pkt, off, hdrlen, nh, nhpos, payload):
        """@pkt with the header at @off (and all after it) replaced by
        @payload, the byte at @nhpos set to @nh, lengths fixed."""
        out = bytearray(pkt[:off]) + payload
        out[nhpos] = nh
        if out[0] >> 4 == 4:
            struct.pack_into(">H", out, 2, len(out))
            struct.pack_into(">H", out, 10, 0)
        else:
            struct.pack_into(">H", out, 4, len(out) - 40)
        return bytes(out)

    def lookup(self, frame, proto, spi, pkt):
        dst = pkt[16:20] if pkt[0] >> 4 == 4 else pkt[24:40]
        sa = self.conf.find(proto, spi, dst)
        if sa is None:
            k = "%s 0x%x@%s" % (proto, spi, ipaddress.ip_address(bytes(dst)))
            self.unknown[k] = self.unknown.get(k, 0) + 1
            if self.args.unknown == "fail":
                self.fail(frame, "no SA in the config for %s" % k)
        return sa

    def crypto_budget(self, s):
        m = self.args.crypto_max
        if m is None or s.verified + s.failed < m:
            return True
        s.seen_past_budget += 1
        k = self.args.crypto_sample
        return bool(k) and s.seen_past_budget % k == 0

    def hi_candidates(self, s, seq):
        c = [s.hi]
        if seq < 0x80000000:
            c.append(s.hi + 1)
        if s.hi > 0:
            c.append(s.hi - 1)
        return c

    def do_ah(self, frame, pkt, off, nhpos):
        if off + 12 > len(pkt):
            self.fail(frame, "truncated AH header")
            return None
        nh, plen = pkt[off], (pkt[off + 1] + 2) * 4
        spi, seq = struct.unpack_from(">II", pkt, off + 4)
        sa = self.lookup(frame, "ah", spi, pkt)
        if sa is None:
            return None
        s = self.st(sa)
        ok = None
        if self.crypto_budget(s):
            scp = IP(pkt) if pkt[0] >> 4 == 4 else IPv6(pkt)
            for hi in (self.hi_candidates(s, seq) if sa.esn else [0]):
                try:
                    s.ssa.auth_algo.verify(scp.copy(), s.ssa.auth_key, esn_en=sa.esn, esn=hi)
                    ok = hi
                    break
                except IPSecIntegrityError:
                    pass
            if ok is None:
                s.failed += 1
                self.fail(frame, "%s: AH ICV does not verify (seq %d)" % (sa.said, seq))
                return None
            s.verified += 1
            s.hi = ok
        else:
            s.unchecked += 1
        why = s.note_seq((s.hi << 32 | seq) if sa.esn else seq, frame)
        if why:
            self.fail(frame, "%s: %s" % (sa.said, why))
        return sa, self.splice(pkt, off, plen, nh, nhpos, pkt[off + plen:]), nh

    def esp_check(self, s, spi, seq, body, icv):
        """The ESN high bits that make @icv verify (0 without ESN), or None."""
        sa, ssa = s.sa, s.ssa
        his = self.hi_candidates(s, seq) if sa.esn else [0]
        for hi in his:
            if sa.is_aead():
                e = ESP(spi=spi, seq=seq, data=body + icv)
                try:
                    plain = ssa.crypt_algo.decrypt(ssa, e, ssa.crypt_key, sa.icv_len(),
                                                   esn_en=sa.esn, esn=hi)
                    return hi, plain
                except IPSecIntegrityError:
                    continue
            if sa.auth:
                # RFC 4303 §2.2.1: the high bits follow the payload in the
                # ICV's input only; scapy's ESP verify appends nothing, so
                # they go into the data it hashes
                e = ESP(spi=spi, seq=seq,
                        data=body + (struct.pack(">I", hi) if sa.esn else b"") + icv)
                try:
                    ssa.auth_algo.verify(e, ssa.auth_key)
                except IPSecIntegrityError:
                    continue
            e = ESP(spi=spi, seq=seq, data=body + icv)
            plain = ssa.crypt_algo.decrypt(ssa, e, ssa.crypt_key, sa.icv_len())
            return hi, plain
        return None

    def padding_ok(self, s, body, padlen):
        """The padding bytes are 1, 2, 3, ... (RFC 4303 §2.4, as Linux
        writes them).  Checked for CBC ciphers, where scapy's decrypt()
        does not hand the padding back; with an AEAD the ICV covers it."""
        algo = s.ssa.crypt_algo
        if not padlen or algo.cipher is None or algo.is_aead:
            return True
        iv, ct = body[:algo.iv_size], body[algo.iv_size:]
        dec = algo.new_cipher(s.ssa.crypt_key, iv).decryptor()
        plain = dec.update(ct) + dec.finalize()
        return plain[-2 - padlen:-2] == bytes(range(1, padlen + 1))

    def do_esp(self, frame, pkt, off, nhpos):
        if off + 8 > len(pkt):
            self.fail(frame, "truncated ESP header")
            return None
        spi, seq = struct.unpack_from(">II", pkt, off)
        sa = self.lookup(frame, "esp", spi, pkt)
        if sa is None:
            return None
        s = self.st(sa)
        ivlen = s.ssa.crypt_algo.iv_size
        icvlen = sa.icv_len()
        data = pkt[off + 8:]
        if len(data) < ivlen + icvlen + 2:
            s.failed += 1
            self.fail(frame, "%s: ESP packet too short (%d bytes)" % (sa.said, len(data)))
            return None
        if ivlen:
            why = s.note_iv(data[:ivlen], frame)
            if why:
                self.fail(frame, "%s: %s" % (sa.said, why))
        body, icv = data[:len(data) - icvlen], data[len(data) - icvlen:]
        if not self.crypto_budget(s):
            s.unchecked += 1
            why = s.note_seq((s.hi << 32 | seq) if sa.esn else seq, frame)
            if why:
                self.fail(frame, "%s: %s" % (sa.said, why))
            return None
        res = self.esp_check(s, spi, seq, body, icv)
        if res is None:
            s.failed += 1
            self.fail(frame, "%s: ESP ICV does not verify (seq %d)" % (sa.said, seq))
            return None
        hi, plain = res
        s.hi = hi
        why = s.note_seq((hi << 32 | seq) if sa.esn else seq, frame)
        if why:
            self.fail(frame, "%s: %s" % (sa.said, why))
        blk = s.ssa.crypt_algo.block_size
        if ((len(body) - ivlen) % max(blk, 4) or plain.padlen + 2 > len(body) - ivlen
                or not self.padding_ok(s, body, plain.padlen)):
            s.failed += 1
            self.fail(frame, "%s: bad ESP padding (pad length %d)" % (sa.said, plain.padlen))
            return None
        s.verified += 1
        return sa, self.splice(pkt, off, 0, plain.nh, nhpos, bytes(plain.data)), plain.nh

    def do_comp(self, frame, pkt, off, nhpos):
        if off + 4 > len(pkt):
            self.fail(frame, "truncated IPComp header")
            return None
        nh, flags, cpi = pkt[off], pkt[off + 1], struct.unpack_from(">H", pkt, off + 2)[0]
        sa = self.lookup(frame, "comp", cpi, pkt)
        if sa is None:
            return None
        s = self.st(sa)
        if flags:
            s.failed += 1
            self.fail(frame, "%s: IPComp flags 0x%02x" % (sa.said, flags))
            return None
        d = zlib.decompressobj(-15)
        try:
            out = d.decompress(pkt[off + 4:], MAX_INFLATE + 1)
        except zlib.error as e:
            s.failed += 1
            self.fail(frame, "%s: inflate: %s" % (sa.said, e))
            return None
        if len(out) > MAX_INFLATE or not d.eof:
            s.failed += 1
            self.fail(frame, "%s: inflate: %s" % (sa.said, "more than 64 KiB" if len(out) > MAX_INFLATE
                                                   else "incomplete deflate stream"))
            return None
        s.verified += 1
        return sa, self.splice(pkt, off, 0, nh, nhpos, out), nh

    def count_inner(self, frame, layers, pkt, nh, off):
        if nh in (P_IPIP, P_IPV6):
            inner = pkt[off:]
            if not inner or inner[0] >> 4 != (4 if nh == P_IPIP else 6):
                self.fail(frame, "next header %d but no IPv%d packet inside" %
                          (nh, 4 if nh == P_IPIP else 6))
                return
            name = "ip" if nh == P_IPIP else "ipv6"
            inh, _, _ = self.first_payload(inner)
            name += ":" + INNER_NAMES.get(inh, str(inh))
            why = self.selector_mismatch(layers, inner)
            if why:
                self.fail(frame, why)
        elif nh == P_NONE:
            name = "none"
        else:
            name = INNER_NAMES.get(nh, str(nh))
        for sa in layers:
            st = self.st(sa)
            st.inner[name] = st.inner.get(name, 0) + 1

    def selector_mismatch(self, layers, inner):
        """Why the inner packet does not fit the group's src-ts/dst-ts
        (RFC 4301 §5.2), or None."""
        g = layers[-1].group if layers else None
        if g is None or not g.src_ts:
            return None
        if inner[0] >> 4 == 4:
            src, dst = inner[12:16], inner[16:20]
        else:
            src, dst = inner[8:24], inner[24:40]
        src, dst = ipaddress.ip_address(bytes(src)), ipaddress.ip_address(bytes(dst))
        if not any(src.version == n.version and src in n for n in g.src_ts):
            return "%s: inner source %s outside src-ts of group %s" % (layers[-1].said, src, g.name)
        if not any(dst.version == n.version and dst in n for n in g.dst_ts):
            return "%s: inner destination %s outside dst-ts of group %s" % (layers[-1].said, dst, g.name)
        return None

    def run(self, files):
        for path in files:
            reader = RawPcapReader(path)
            lt = reader.linktype
            for data, _meta in reader:
                self.frames += 1
                pkt = self.l3(getattr(_meta, "linktype", lt) or lt, bytes(data))
                if pkt and len(pkt) >= 20:
                    self.packet(self.frames, pkt)
            reader.close()
        self.frags_pending = len(self.frag)

    def summary(self):
        sas = [self.stats[k].report() for k in sorted(self.stats)]
        verified = sum(s["verified"] for s in sas)
        failed = sum(s["failed"] for s in sas)
        repeats = sum(s["repeats"] for s in sas)
        return {"frames": self.frames, "ipsec_packets": self.ipsec, "clear_packets": self.clear,
                "verified": verified, "failed": failed, "repeats": repeats,
                "unknown": self.unknown, "incomplete_fragments": self.frags_pending,
                "sas": sas, "failures": self.failures[:50],
                "failure_count": len(self.failures)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("pcap", nargs="+")
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--unknown", choices=("fail", "ignore"), default="fail")
    ap.add_argument("--crypto-max", type=int)
    ap.add_argument("--crypto-sample", type=int, default=0)
    ap.add_argument("--esn-hi", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    conf = spigrpconf.load_or_exit(args.config, "esp-verify")
    v = Verifier(conf, args)
    try:
        v.run(args.pcap)
    except (OSError, ValueError) as e:
        print("esp-verify: %s" % e, file=sys.stderr)
        return 2
    r = v.summary()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)
    if not args.quiet:
        for s in r["sas"]:
            line = "%-32s verified %d failed %d" % (s["said"], s["verified"], s["failed"])
            if s["unchecked"]:
                line += " unchecked %d" % s["unchecked"]
            if "seq_first" in s:
                line += " seq %d..%d (%d distinct)" % (s["seq_first"], s["seq_last"], s["distinct_seq"])
            if "distinct_iv" in s:
                line += " IVs %d distinct" % s["distinct_iv"]
            if s["repeats"]:
                line += " REPEATS %d" % s["repeats"]
            if "inner" in s:
                line += " inner " + ",".join("%s=%d" % kv for kv in s["inner"].items())
            print(line)
        for k, n in sorted(r["unknown"].items()):
            print("unknown SA %s: %d packets" % (k, n))
    for f in r["failures"][:10]:
        print("FAIL " + f)
    ok = not r["failure_count"] and r["verified"] >= args.min
    print("esp-verify: %d frames, %d IPsec packets, %d layers verified, %d failed, %d repeated%s: %s" %
          (r["frames"], r["ipsec_packets"], r["verified"], r["failed"], r["repeats"],
           ", %d unknown" % sum(r["unknown"].values()) if r["unknown"] else "",
           "OK" if ok else "FAILED" + ("" if r["failure_count"] else
                                        " (fewer than %d verified)" % args.min)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
