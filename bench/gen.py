#!/usr/bin/python3
"""Generate N SA groups of the seed's shape for the benchmarks.

gen.py N CONF BATCH [VIEW]

Group i is `tun comp esp ah` in tunnel mode, alternately outbound (even i:
local 192.168.2.100 -> peer) and inbound (odd i: peer -> 192.168.2.100),
with one of 1000 peers 192.168.10.1 ...; traffic selectors 10.1.0.0/16 and
a /29 of its own in 10.128.0.0/9.  SPIs and CPIs are unique per
destination: ESP 0x10000000+i, AH 0x20000000+i, CPI 0x1000+i/2 (so N may
reach 2 * 0xefff).  Keys are derived from i (they are test keys).

CONF:  the spigrpd config ([daemon] datapath = kernel, install-routes = no:
       the same objects ip -batch adds, no routes).
BATCH: the same kernel objects as `ip -batch` lines: per group 3 states and
       the out policy (outbound) or in + fwd policies (inbound), COMP
       optional on in/fwd; group by group, states before policies.
VIEW:  the view the daemon must show, byte for byte.
"""
import hashlib
import ipaddress
import sys

LOCAL = "192.168.2.100"
INNER_LOCAL = "10.1.0.0/16"
BAND = 0x53500000  # reqids for the ip -batch side (its own namespace), past ours
PRIO = 1000000


def peer(i):
    k = i % 1000
    return "192.168.%d.%d" % (10 + k // 250, k % 250 + 1)


def subnet(i):
    base = int(ipaddress.ip_address("10.128.0.0"))
    return "%s/29" % ipaddress.ip_address(base + 8 * i)


def keys(i):
    h = hashlib.sha256(b"spigrpd-bench-%d" % i).hexdigest()
    h2 = hashlib.sha256(b"spigrpd-bench-ah-%d" % i).hexdigest()
    return "0x" + h[:32], "0x" + h, "0x" + h2[:40]


def main():
    n = int(sys.argv[1])
    if n > 2 * 0xefff:
        sys.exit("gen.py: at most %d groups (CPI space)" % (2 * 0xefff))
    conf = open(sys.argv[2], "w")
    batch = open(sys.argv[3], "w")
    view = open(sys.argv[4], "w") if len(sys.argv) > 4 else None

    conf.write("# %d generated groups (bench/gen.py)\n[daemon]\n"
               "datapath = kernel\ninstall-routes = no\n" % n)
    for i in range(n):
        out = i % 2 == 0
        src, dst = (LOCAL, peer(i)) if out else (peer(i), LOCAL)
        sts, dts = (INNER_LOCAL, subnet(i)) if out else (subnet(i), INNER_LOCAL)
        cpi, esp, ah = 0x1000 + i // 2, 0x10000000 + i, 0x20000000 + i
        enc, eauth, aauth = keys(i)
        conf.write(
            "\n[sa comp.%x@%s]\nsrc = %s\ncomp = deflate\nmode = tunnel\n"
            "\n[sa esp.%x@%s]\nsrc = %s\nenc = aes128\nenckey = %s\n"
            "auth = sha256\nauthkey = %s\n"
            "\n[sa ah.%x@%s]\nsrc = %s\nauth = sha1\nauthkey = %s\n"
            "\n[group g%d]\nsaid = comp.%x@%s esp.%x@%s ah.%x@%s\n"
            "src-ts = %s\ndst-ts = %s\n"
            % (cpi, dst, src, esp, dst, src, enc, eauth, ah, dst, src, aauth,
               i, cpi, dst, esp, dst, ah, dst, sts, dts))
        if view:
            view.write("tun.%x@%s comp.%x@%s esp.%x@%s ah.%x@%s \n"
                       % (cpi, dst, cpi, dst, esp, dst, ah, dst))
        r = BAND + i
        lines = []
        lines.append(
            "xfrm state add src %s dst %s proto comp spi 0x%x reqid 0x%x "
            "mode tunnel flag af-unspec comp deflate\n" % (src, dst, cpi, r))
        lines.append(
            "xfrm state add src %s dst %s proto esp spi 0x%x reqid 0x%x "
            "mode transport replay-window 32 flag esn enc cbc(aes) %s "
            "auth-trunc hmac(sha256) %s 128\n" % (src, dst, esp, r, enc, eauth))
        lines.append(
            "xfrm state add src %s dst %s proto ah spi 0x%x reqid 0x%x "
            "mode transport replay-window 32 flag esn align4 "
            "auth-trunc hmac(sha1) %s 96\n" % (src, dst, ah, r, aauth))
        tm = "tmpl src %s dst %s proto comp reqid 0x%x mode tunnel" % (src, dst, r)
        rest = ("tmpl proto esp reqid 0x%x mode transport "
                "tmpl proto ah reqid 0x%x mode transport" % (r, r))
        for d in (["out"] if out else ["in", "fwd"]):
            lvl = " level use" if d != "out" else ""
            lines.append("xfrm policy add src %s dst %s dir %s priority %d "
                            "%s%s %s\n" % (sts, dts, d, PRIO, tm, lvl, rest))
        batch.writelines(lines)
    for f in (conf, batch, view):
        if f:
            f.close()


if __name__ == "__main__":
    main()
