#!/usr/bin/env python3
"""bench/datapath-summary.py OUTDIR: the table of bench/datapath.sh.

Per label (spigrpd-ipip, spigrpd-CIPHER, libipsec-CIPHER) and test (tcp,
udp): the median throughput iperf3's receiver saw, the median CPU seconds
the datapath processes spent per gigabit moved, and the ratio to
kernel-libipsec with the same cipher in the same run.  Then the SA byte
counters of spigrpd against iperf3's byte counts, and the in-process cost
per packet beside openssl speed.
"""
import glob
import json
import os
import re
import statistics
import sys

HZ = os.sysconf("SC_CLK_TCK")
UDP_LEN = 1400


def runs(out, label, test):
    res = []
    for f in sorted(glob.glob(f"{out}/{label}.{test}.*.json")):
        try:
            j = json.load(open(f))
            end = j["end"]
            if test == "tcp":
                bps = end["sum_received"]["bits_per_second"]
                nbytes = end["sum_received"]["bytes"]
                sent = end["sum_sent"]["bytes"]
            else:
                bps = end["sum"]["bits_per_second"] * (1 - end["sum"]["lost_percent"] / 100)
                nbytes = end["sum"]["bytes"] * (1 - end["sum"]["lost_percent"] / 100)
                sent = end["sum"]["bytes"]
        except (KeyError, ValueError, TypeError):
            continue
        cpu = float(open(f[:-5] + ".cpu").read()) / HZ
        res.append((bps, cpu, nbytes, sent))
    return res


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main(out):
    labels = sorted({os.path.basename(f).split(".")[0]
                     for f in glob.glob(f"{out}/*.json") if ".status" not in f})
    print(f"# userspace datapath benchmark ({os.path.basename(out)})\n")
    print(open(f"{out}/env.txt").read())
    print("| path | test | Mbit/s (median) | CPU s per Gbit | ratio to libipsec (same cipher) |")
    print("|---|---|---|---|---|")
    table = {}
    for label in labels:
        for test in ("tcp", "udp"):
            r = runs(out, label, test)
            if not r:
                continue
            mbps = med([x[0] for x in r]) / 1e6
            cpg = med([x[1] / (x[2] * 8 / 1e9) for x in r if x[2] > 0])
            table[(label, test)] = mbps
    for (label, test), mbps in table.items():
        r = runs(out, label, test)
        cpg = med([x[1] / (x[2] * 8 / 1e9) for x in r if x[2] > 0])
        cipher = label.split("-", 1)[1] if "-" in label else ""
        anchor = table.get((f"libipsec-{cipher}", test))
        ratio = f"{mbps / anchor:.2f}" if anchor else "-"
        print(f"| {label} | {test} | {mbps:.0f} | {cpg:.2f} | {ratio} |")
    print()
    counters(out, labels)
    cost(out)


def counters(out, labels):
    """The sender's outbound SA (its tun SA: inner packets) against iperf3:
    in the paced UDP run (no loss before the SA) every datagram is one
    inner packet of payload + 28 bytes, so the SA must count
    sent_bytes / UDP_LEN such packets, plus the few small segments of
    iperf3's TCP control connection (same addresses, same tunnel); for TCP
    the SA's bytes are the segments, headers and retransmissions included:
    a few per cent above the payload.  (The unpaced UDP runs lose packets
    in the TUN's queue before the SA sees them: not comparable.)"""
    print("## SA counters vs iperf3 (sending side, per run)\n")
    print("| path | test | iperf3 bytes sent | SA bytes | SA packets | ratio | check |")
    print("|---|---|---|---|---|---|---|")
    for label in labels:
        if not label.startswith("spigrpd-"):
            continue
        for test in ("tcp", "udpcheck"):
            for f in sorted(glob.glob(f"{out}/{label}.{test}.*.sa")):
                try:
                    (b0, p0), (b1, p1) = [map(int, l.split()) for l in open(f)]
                    j = json.load(open(f[:-3] + ".json"))["end"]
                except (OSError, ValueError, KeyError):
                    continue
                sent = (j["sum_sent"] if test == "tcp" else j["sum"])["bytes"]
                db, dp = b1 - b0, p1 - p0
                if test == "udpcheck":
                    # the datagrams, plus iperf3's own TCP control
                    # connection (a few dozen small segments), which
                    # takes the same tunnel
                    want = sent // UDP_LEN
                    extra_p, extra_b = dp - want, db - want * (UDP_LEN + 28)
                    ok = 0 <= extra_p <= 64 and 0 <= extra_b <= extra_p * 200
                    verdict = (f"ok: {want} datagrams + {extra_p} control packets "
                               f"({extra_b} bytes)" if ok else
                               f"MISMATCH (want {want} datagrams of {UDP_LEN + 28} bytes)")
                else:
                    ok = sent <= db <= sent * 1.10
                    verdict = "ok" if ok else "MISMATCH"
                print(f"| {label} | {test} | {sent} | {db} | {dp} | "
                      f"{db / sent if sent else float('nan'):.4f} | {verdict} |")
    print()


def cost(out):
    try:
        print("## in-process cost per packet (1400 bytes)\n")
        print("```")
        print(open(f"{out}/xfcost.txt").read().rstrip())
        print("```\n")
        print("openssl speed (1400-byte blocks, single core):\n")
        print("```")
        print(open(f"{out}/openssl-speed.txt").read().rstrip())
        print("```")
    except OSError:
        pass


if __name__ == "__main__":
    main(sys.argv[1])
