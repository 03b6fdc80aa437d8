#!/bin/sh
# verifiers.sh: the test tools of tests/tools agree with each other and
# fail when they must, without privileges (make check).  Their proof
# against an independent implementation, the Linux kernel, is
# tests/uml/t-11-verifiers; this keeps them from rotting between UML runs.
#  - ah6-hbh.py builds packets for every group of contrib/seed.conf and of
#    alg-conf.sh (every algorithm of the table, ESN on and off);
#    esp-verify.py verifies them all, including IPComp;
#  - esp-verify.py fails on a flipped immutable option byte (AH), a bad ESP
#    ICV, a flipped key bit in its config, a repeated packet (sequence
#    number and IV twice) and an inner source outside src-ts, and passes a
#    changed mutable option;
#  - esp-tshark.py checks the ICVs of the groups without ESN (when tshark
#    is installed).
# Needs /usr/bin/python3 with scapy; skips (77) without, outside CI.
set -u

srcdir=${top_srcdir:-.}
T=$srcdir/tests/tools
PY=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-verifiers.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
n=0
bad=0

skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: verifiers: cannot run: $1 (a skip is a failure in CI)"
		exit 1
	fi
	echo "SKIP: verifiers: $1"
	exit 77
}
[ -x "$PY" ] && "$PY" -c 'import scapy.layers.ipsec' 2>/dev/null || skip "no python3-scapy"

# ok WHAT CMD...: CMD must succeed; no WHAT CMD...: CMD must fail
ok() {
	_w=$1
	shift
	n=$((n + 1))
	if "$@" > "$work/out" 2>&1; then echo "ok $n - $_w"; else
		echo "not ok $n - $_w"; sed 's/^/# /' "$work/out"; bad=$((bad + 1)); fi
}
no() {
	_w=$1
	shift
	n=$((n + 1))
	if "$@" > "$work/out" 2>&1; then echo "not ok $n - $_w"; sed 's/^/# /' "$work/out"
		bad=$((bad + 1)); else echo "ok $n - $_w"; fi
}
build() {	# CONF GROUP OUT [args]
	"$PY" "$T/ah6-hbh.py" "$@" > /dev/null
}
verify() {
	"$PY" "$T/esp-verify.py" --quiet "$@"
}

seed=$srcdir/contrib/seed.conf
build "$seed" all "$work/x.pcap" --count 2 --compress --payload-len 300 --flip none,immutable,mutable,esp ||
	{ echo "not ok - ah6-hbh.py cannot build the seed's packets"; exit 1; }
for f in "$work"/x-*.pcap; do
	mv "$f" "$work/${f#"$work"/x-}"
done
ok "the seed's groups, compressed: every layer verifies" \
	verify --min 24 "$seed" "$work"/seed*-none.pcap
ok "a changed mutable option (IPv6 hop-by-hop 0x3e, IPv4 Timestamp) still verifies" \
	verify "$seed" "$work"/seed*-mutable.pcap
for g in seed4 seed6; do
	no "$g: a flipped immutable option byte fails" verify "$seed" "$work/$g-immutable.pcap"
	no "$g: a bad ESP ICV under a good AH fails" verify "$seed" "$work/$g-esp.pcap"
done
sed 's/^authkey = 0xeedcba98/authkey = 0xefdcba98/' "$seed" > "$work/flip.conf"
no "a flipped key bit in the verifier's config fails" verify "$work/flip.conf" "$work/seed6-none.pcap"
no "a packet sent twice fails (sequence number and IV repeated)" \
	verify "$seed" "$work/seed4-none.pcap" "$work/seed4-none.pcap"
build "$seed" seed4 "$work/sel.pcap" --inner-src 10.0.9.9
no "an inner source outside src-ts fails" verify "$seed" "$work/sel.pcap"

sh "$T/alg-conf.sh" conf > "$work/alg.conf"
build "$work/alg.conf" all "$work/alg.pcap" --count 2 --no-options ||
	{ echo "not ok - ah6-hbh.py cannot build alg-conf.sh's packets"; exit 1; }
ok "every algorithm of the table (26 ESP SAs, ESN on and off): every packet verifies" \
	verify --min 52 "$work/alg.conf" "$work"/alg-*.pcap
if command -v tshark > /dev/null 2>&1; then
	"$PY" -c 'import sys
from scapy.all import rdpcap, wrpcap
wrpcap(sys.argv[1], [p for f in sys.argv[2:] for p in rdpcap(f)])' "$work/all.pcap" "$work"/alg-*.pcap
	ok "esp-tshark.py: tshark decrypts them and checks the ICVs it can" \
		sh -c '"$1" "$2" --min 52 "$3" "$4" > "$5"' sh "$PY" "$T/esp-tshark.py" \
		"$work/alg.conf" "$work/all.pcap" "$work/tshark.out"
	ok "... 12 of the 26 SAs with a good ICV (no ESN, not ChaCha20, not encryption-only)" \
		sh -c 'grep -c "ICV good [1-9]" "$1" | grep -qx 12' sh "$work/tshark.out"
fi
echo "$((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
