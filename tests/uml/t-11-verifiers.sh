#!/bin/sh
# The independent verifiers, proved on traffic made by the Linux kernel:
# the seed's groups placed in the kernel by spigrpd on both ends (IPv4
# groups with esn = no, so that tshark 4.0 can check their ICVs; IPv6 with
# ESN), pings both ways, the veth captured.
#  - tests/tools/esp-verify.py (scapy, zlib) verifies every AH, ESP and
#    IPComp layer; tests/tools/esp-tshark.py (Wireshark's dissector)
#    decrypts ESP and checks the non-ESN ICVs.
#  - the same capture with one key bit flipped in the verifiers' config
#    (an ESP authentication key, an AH key, an ESP encryption key): both
#    tools report failures for that SA.
#  - tests/tools/ah6-hbh.py's packets (AH over IPv6 with a hop-by-hop
#    header holding an immutable and a mutable option; AH over IPv4 with a
#    Security and a Timestamp option) sent to the kernel's inbound SAs: the
#    good one and the one with a changed mutable byte are accepted, the
#    ones with a flipped immutable byte or a bad ESP ICV are counted as
#    integrity failures and dropped.
. "$UMLT_SRC/tests/uml/lib.sh"

TOOLS=$SRC/tests/tools

topo_up
# the IPv4 SAs without ESN (tshark 4.0 cannot check ESN ICVs)
awk '
	/^\[/ { sa = $0 }
	{ print }
	/^\[sa (esp|ah)\.[0-9a-f]+@/ { print "esn = no"; n++ }
	END { if (n != 4) exit 1 }' "$SRC/contrib/seed.conf" > "$T/v.conf" ||
	fail "cannot derive the config (seed.conf changed?)"
mkconf left "$T/v.conf"
mkconf right "$T/v.conf"
daemon_start left
daemon_start right
daemon_wait left 4
daemon_wait right 4

step "pings both ways, IPv4 and IPv6, compressed and not"
cap_start verif
big_pings
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "no reply to a small ping v4"
ns right ping -6 -c 2 -i 0.3 -W 3 -s 40 -I fd00:2::1 fd00:1::1 > /dev/null || fail "no reply to ping -s 40 v6"
cap_stop

# sa_field JSON SAID FIELD: one number of one SA of esp-verify's report
sa_field() {
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next((s[sys.argv[3]] for s in r["sas"] if s["said"] == sys.argv[2]), -1))' "$@"
}

step "esp-verify.py with the configured keys: every layer verifies"
"$PY" "$TOOLS/esp-verify.py" --min 16 --json "$T/good.json" "$T/v.conf" "$T/verif.pcap" ||
	fail "esp-verify.py rejects the kernel's packets"
for said in esp.187a101b@192.168.2.110 esp.187a101d@192.168.2.100 \
	esp:187a101b@3049:1::2 esp:187a101d@3049:1::1 \
	ah.187a101a@192.168.2.110 ah.187a101c@192.168.2.100 \
	ah:187a101a@3049:1::2 ah:187a101c@3049:1::1 \
	comp.3d0@192.168.2.110 comp:3d0@3049:1::2; do
	n=$(sa_field "$T/good.json" "$said" verified)
	[ "$n" -ge 2 ] || fail "esp-verify.py verified only $n packets of $said"
done

step "esp-tshark.py: tshark decrypts, checks the IPv4 ICVs"
"$PY" "$TOOLS/esp-tshark.py" --min 16 --json "$T/tgood.json" "$T/v.conf" "$T/verif.pcap" ||
	fail "esp-tshark.py rejects the kernel's packets"
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
s = {x["said"]: x for x in r["sas"]}
for said in ("esp.187a101b@192.168.2.110", "esp.187a101d@192.168.2.100"):
    assert s[said]["icv_good"] >= 2 and s[said]["icv_bad"] == 0, (said, s[said])
    assert any(k.startswith("ipcomp:ip:icmp") for k in s[said]["inner"]), s[said]
for said in ("esp:187a101b@3049:1::2", "esp:187a101d@3049:1::1"):
    assert s[said]["unchecked"] >= 2, (said, s[said])
    assert any(k.startswith("ipcomp:ipv6:icmpv6") for k in s[said]["inner"]), s[said]
' "$T/tgood.json" || fail "tshark's view of the SAs is not the expected one"

# flipped_conf SAID KEY OUT: v.conf with the lowest bit of the first byte
# of SAID's KEY (enckey/authkey) flipped
flipped_conf() {
	awk -v sa="[sa $1]" -v key="$2" '
		/^\[/ { cur = $0 }
		cur == sa && $1 == key {
			b = substr($3, 3, 2)
			nb = (b == "00") ? "01" : (substr(b, 2, 1) == "0" ? substr(b, 1, 1) "1" : substr(b, 1, 1) "0")
			$0 = key " = 0x" nb substr($3, 5); done = 1
		}
		{ print }
		END { if (!done) exit 1 }' "$T/v.conf" > "$3" || fail "cannot flip $1 $2"
}

step "negative controls: one key bit flipped in the verifiers' config"
for flip in "esp.187a101b@192.168.2.110 authkey both" "ah:187a101a@3049:1::2 authkey scapy" \
	"esp.187a101d@192.168.2.100 enckey both"; do
	set -- $flip
	flipped_conf "$1" "$2" "$T/flip.conf"
	info "$1 $2 flipped"
	if "$PY" "$TOOLS/esp-verify.py" --json "$T/bad.json" "$T/flip.conf" "$T/verif.pcap" > "$T/bad.out"; then
		cat "$T/bad.out"
		fail "esp-verify.py passes the capture with $1's $2 flipped"
	fi
	tail -n 3 "$T/bad.out"
	nf=$(sa_field "$T/bad.json" "$1" failed)
	nv=$(sa_field "$T/bad.json" "$1" verified)
	[ "$nf" -ge 2 ] && [ "$nv" = 0 ] ||
		fail "esp-verify.py: $1 with a flipped $2: $nf failed, $nv verified; expected every packet to fail"
	# the other SAs still verify
	[ "$(sa_field "$T/bad.json" esp:187a101d@3049:1::1 failed)" = 0 ] ||
		fail "esp-verify.py: a flipped key of $1 made another SA fail"
	if [ "$3" = both ]; then
		"$PY" "$TOOLS/esp-tshark.py" "$T/flip.conf" "$T/verif.pcap" > "$T/tbad.out" &&
			{ cat "$T/tbad.out"; fail "esp-tshark.py passes the capture with $1's $2 flipped"; }
		grep -F "FAIL frame" "$T/tbad.out" | head -n 2
		grep -q "$1: " "$T/tbad.out" || fail "esp-tshark.py does not name $1"
	fi
done

# ---- the packet builder, proved by the kernel ----
# state_stat SIDE SRC DST PROTO SPI: "PACKETS FAILED" of that state
state_stat() {
	xstates "$1" | grep -F "src $2 dst $3 ; proto $4 spi $5(" | head -n 1 |
		sed -n 's/.*; \([0-9]*\)(bytes), \([0-9]*\)(packets).*replay [0-9]* failed \([0-9]*\).*/\2 \3/p'
}
proto_err() {
	ns right awk '$1 == "XfrmInStateProtoError" { print $2 }' /proc/net/xfrm_stat
}
# (sysfs is the guest's root one: ask ip for the MAC address)
MAC=$(ip -n right -o link show vr | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
[ -n "$MAC" ] || fail "cannot read vr's MAC address"
# inject GROUP SRC DST SPI-AH SPI-ESP: build the variants, send each, check
inject() {
	_g=$1 _s=$2 _d=$3 _ah=$4 _esp=$5
	"$PY" "$TOOLS/ah6-hbh.py" --seq 1000 --dst-mac "$MAC" --payload-len 200 \
		--flip none,immutable,mutable,esp "$T/v.conf" "$_g" "$T/inj-$_g.pcap" ||
		fail "ah6-hbh.py could not build $_g's packets"
	for v in none immutable mutable esp; do
		set -- $(state_stat right "$_s" "$_d" ah "$_ah") $(state_stat right "$_s" "$_d" esp "$_esp") $(proto_err)
		ah0=$1 ahf0=$2 esp0=$3 espf0=$4 pe0=${5:-0}
		ns left "$PY" "$TOOLS/pcap-send.py" vl "$T/inj-$_g-$v.pcap" > /dev/null ||
			fail "cannot send $T/inj-$_g-$v.pcap"
		sleep 0.3
		set -- $(state_stat right "$_s" "$_d" ah "$_ah") $(state_stat right "$_s" "$_d" esp "$_esp") $(proto_err)
		info "$_g $v: AH packets $ah0 -> $1, failed $ahf0 -> $2; ESP packets $esp0 -> $3, failed $espf0 -> $4; XfrmInStateProtoError $pe0 -> ${5:-0}"
		case $v in
		none | mutable)
			[ "$1" -eq $((ah0 + 1)) ] && [ "$2" -eq "$ahf0" ] && [ "$3" -eq $((esp0 + 1)) ] &&
				[ "$4" -eq "$espf0" ] || fail "the kernel did not accept $_g's '$v' packet" ;;
		immutable)
			[ "$1" -eq "$ah0" ] && [ "$2" -eq $((ahf0 + 1)) ] && [ "$3" -eq "$esp0" ] ||
				fail "the kernel did not count $_g's '$v' packet as an AH integrity failure" ;;
		esp)
			[ "$1" -eq $((ah0 + 1)) ] && [ "$4" -eq $((espf0 + 1)) ] && [ "$3" -eq "$esp0" ] ||
				fail "the kernel did not count $_g's '$v' packet as an ESP integrity failure" ;;
		esac
		case $v in
		immutable | esp) [ "${5:-0}" -gt "$pe0" ] || fail "XfrmInStateProtoError did not rise for '$v'" ;;
		esac
	done
}
step "AH over IPv6 with hop-by-hop options (immutable 0x1e, mutable 0x3e) into the kernel"
inject seed6 3049:1::1 3049:1::2 0x187a101a 0x187a101b
step "AH over IPv4 with Security (immutable) and Timestamp (mutable) options into the kernel"
inject seed4 192.168.2.100 192.168.2.110 0x187a101a 0x187a101b
exit 0
