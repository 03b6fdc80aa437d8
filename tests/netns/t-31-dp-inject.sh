# t-31-dp-inject: packets built by scapy (tests/tools/ah6-hbh.py, with the
# config's keys; proved against the kernel in tests/uml/t-11) sent from the
# peer namespace into the right daemon's userspace datapath (contrib/seed.conf):
#  - AH over IPv6 with a hop-by-hop header holding an immutable (0x1e) and
#    a mutable (0x3e) option, and AH over IPv4 with a Security (immutable)
#    and a Timestamp (mutable) option: accepted (the inner echo request is
#    answered: the reverse group sends a packet); with one immutable byte
#    flipped rejected with `icv` counted on the AH SA; with the mutable
#    option changed accepted; with a bad ESP ICV under a good AH rejected
#    with `icv` on the ESP SA;
#  - policy enforcement: a correctly protected packet whose inner source
#    (10.0.9.9) is outside src-ts is dropped and counted (`selector`); a
#    cleartext ping from the peer with a source inside src-ts (10.0.1.1),
#    which never went through the datapath, is dropped (the nftables
#    table): no answer goes out.
. "$srcdir/tests/netns/dp.sh"

# t31_sum FILE GROUP KEY: KEY summed over GROUP's SAs (packets or a drop)
t31_sum() {
	"$PY" -c 'import json, sys
n = 0
for g in json.load(open(sys.argv[1]))["groups"]:
    if g["name"] == sys.argv[2]:
        for s in g["sas"]:
            n += s.get(sys.argv[3], s.get("drops", {}).get(sys.argv[3], 0))
print(n)' "$@"
}
# t31_send FILE: send a pcap from the peer's veth end
t31_send() {
	ip netns exec "$PEER" "$PY" "$TOOLS/pcap-send.py" spgp0 "$1" > /dev/null
}
t31_snap() {
	sleep 0.3
	dp_json right "$W/t31.json"
}

dp_addrs add
dp_conf right "$srcdir/contrib/seed.conf"
if need_start "the right daemon starts on contrib/seed.conf"; then
	MAC=$(mac_of right)
	for g in seed6 seed4; do
		[ $g = seed6 ] && rev=seed6-reverse || rev=seed4-reverse
		"$PY" "$TOOLS/ah6-hbh.py" --seq 100000 --dst-mac "$MAC" --payload-len 200 \
			--flip none,immutable,mutable,esp "$CONF" $g "$W/t31-$g.pcap" > /dev/null ||
			not_ok "ah6-hbh.py builds $g's packets"
		for v in none immutable mutable esp; do
			t31_snap
			if [ $g = seed6 ]; then ah=ah:187a101a@3049:1::2 esp=esp:187a101b@3049:1::2
			else ah=ah.187a101a@192.168.2.110 esp=esp.187a101b@192.168.2.110; fi
			a0=$(dp_sa "$W/t31.json" $ah packets) ai0=$(dp_sa "$W/t31.json" $ah icv)
			e0=$(dp_sa "$W/t31.json" $esp packets) ei0=$(dp_sa "$W/t31.json" $esp icv)
			r0=$(t31_sum "$W/t31.json" $rev packets)
			t31_send "$W/t31-$g-$v.pcap"
			t31_snap
			a1=$(dp_sa "$W/t31.json" $ah packets) ai1=$(dp_sa "$W/t31.json" $ah icv)
			e1=$(dp_sa "$W/t31.json" $esp packets) ei1=$(dp_sa "$W/t31.json" $esp icv)
			r1=$(t31_sum "$W/t31.json" $rev packets)
			info "$g '$v': AH packets $a0 -> $a1, icv $ai0 -> $ai1; ESP packets $e0 -> $e1, icv $ei0 -> $ei1; $rev packets $r0 -> $r1"
			case $v in
			none) check "$g: the scapy-built packet (options: immutable + mutable) is accepted and answered" \
				test "$a1" -gt "$a0" -a "$e1" -gt "$e0" -a "$r1" -gt "$r0" -a "$ai1" = "$ai0" ;;
			immutable) check "$g: an immutable option byte flipped: rejected, icv counted on the AH SA" \
				test "$ai1" = $((ai0 + 1)) -a "$a1" = "$a0" -a "$e1" = "$e0" -a "$r1" = "$r0" ;;
			mutable) check "$g: the mutable option changed: still accepted (not under the ICV)" \
				test "$a1" -gt "$a0" -a "$e1" -gt "$e0" -a "$ai1" = "$ai0" ;;
			esp) check "$g: a bad ESP ICV under a good AH: rejected, icv counted on the ESP SA" \
				test "$ei1" = $((ei0 + 1)) -a "$e1" = "$e0" -a "$r1" = "$r0" ;;
			esac
		done
	done

	# policy enforcement: inner source outside src-ts, correctly protected
	"$PY" "$TOOLS/ah6-hbh.py" --seq 200000 --dst-mac "$MAC" --inner-src 10.0.9.9 \
		"$CONF" seed4 "$W/t31-sel.pcap" > /dev/null
	t31_snap
	s0=$(t31_sum "$W/t31.json" seed4 selector) r0=$(t31_sum "$W/t31.json" seed4-reverse packets)
	t31_send "$W/t31-sel.pcap"
	t31_snap
	s1=$(t31_sum "$W/t31.json" seed4 selector) r1=$(t31_sum "$W/t31.json" seed4-reverse packets)
	info "inner source 10.0.9.9: seed4 selector drops $s0 -> $s1, seed4-reverse packets $r0 -> $r1"
	check "a protected packet with its inner source outside src-ts is dropped, counted as selector" \
		test "$s1" = $((s0 + 1)) -a "$r1" = "$r0"

	# cleartext look-alikes of the inbound groups' traffic
	"$PY" - "$MAC" "$W/t31-clear.pcap" <<'PYEOF'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, ICMP, IPv6, ICMPv6EchoRequest, wrpcap
mac = sys.argv[1]
wrpcap(sys.argv[2], [
    Ether(dst=mac) / IP(src="10.0.1.1", dst="10.0.2.1") / ICMP(id=7, seq=1) / (b"c" * 32),
    Ether(dst=mac) / IPv6(src="fd00:1::1", dst="fd00:2::1") / ICMPv6EchoRequest(id=7, seq=1, data=b"c" * 32)])
PYEOF
	t31_snap
	r40=$(t31_sum "$W/t31.json" seed4-reverse packets) r60=$(t31_sum "$W/t31.json" seed6-reverse packets)
	t31_send "$W/t31-clear.pcap"
	t31_snap
	r41=$(t31_sum "$W/t31.json" seed4-reverse packets) r61=$(t31_sum "$W/t31.json" seed6-reverse packets)
	info "cleartext pings 10.0.1.1 / fd00:1::1 -> right: seed4-reverse $r40 -> $r41, seed6-reverse $r60 -> $r61"
	check "a cleartext ping with a source inside src-ts is dropped (no answer goes out), IPv4 and IPv6" \
		test "$r41" = "$r40" -a "$r61" = "$r60"
	info "nft: $(nsx nft list table inet spigrpd 2>&1 | grep -c counter) counter lines"
fi
dp_down
