# t-30-dp-seed: contrib/seed.conf in two namespaces of this kernel (no ESP,
# AH or IPComp: both daemons put the groups in their userspace datapath):
# both views are the seed's lines byte for byte; ping (compressible and
# small) and iperf3 TCP both ways over IPv4 and IPv6 through `tun comp esp
# ah`; the capture of the pings verified by esp-verify.py (scapy: AH and
# ESP ICVs, ESN, IPComp inflated, no (SPI, seq) or IV twice, inner packets
# inside the selectors) and esp-tshark.py (tshark decrypts; the seed's SAs
# use ESN, whose ICVs tshark 4.0 cannot check); counters without drops.
. "$srcdir/tests/netns/dp.sh"

t30_view() {
	printf '%s \n' \
		'tun.3d0@192.168.2.110 comp.3d0@192.168.2.110 esp.187a101b@192.168.2.110 ah.187a101a@192.168.2.110' \
		'tun:3d0@3049:1::2 comp:3d0@3049:1::2 esp:187a101b@3049:1::2 ah:187a101a@3049:1::2' \
		'tun.3d1@192.168.2.100 comp.3d1@192.168.2.100 esp.187a101d@192.168.2.100 ah.187a101c@192.168.2.100' \
		'tun:3d1@3049:1::1 comp:3d1@3049:1::1 esp:187a101d@3049:1::1 ah:187a101c@3049:1::1'
}
# t30_iperf SIDE FROM TO: 2 s of iperf3 TCP; prints the bytes received
t30_iperf() {
	local side=$1 ns
	[ "$side" = left ] && ns=$PEER || ns=$NS
	nsenter --net="/run/netns/$ns" iperf3 -J -t 2 -B "$2" -c "$3" > "$W/iperf.json" 2>&1 &&
		"$PY" -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$W/iperf.json"
}

if dp_up; then
	t30_view > "$W/view.want"
	for s in left right; do
		dp_view $s > "$W/view.$s"
		check "$s's view is the seed's four lines, byte for byte" cmp -s "$W/view.want" "$W/view.$s"
	done
	check "the groups are in the userspace datapath" \
		eval '"$SPIGRP" --control "$CTL" --status | grep -c "placement: userspace" | grep -qx 4'

	cap_start t30
	check "ping -s 1000 -p 00 left -> right, IPv4 (IPComp applies)" \
		lping left -c 2 -i 0.2 -W 2 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1
	check "ping -s 1000 -p 00 right -> left, IPv4" \
		lping right -c 2 -i 0.2 -W 2 -s 1000 -p 00 -I 10.0.2.1 10.0.1.1
	check "ping -s 1000 -p 00 left -> right, IPv6" \
		lping left -6 -c 2 -i 0.2 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1
	check "ping -s 1000 -p 00 right -> left, IPv6" \
		lping right -6 -c 2 -i 0.2 -W 2 -s 1000 -p 00 -I fd00:2::1 fd00:1::1
	check "small pings (no compression) both ways, IPv4 and IPv6" \
		eval 'lping left -c 1 -W 2 -I 10.0.1.1 10.0.2.1 && lping right -c 1 -W 2 -I 10.0.2.1 10.0.1.1 &&
			lping left -6 -c 1 -W 2 -s 40 -I fd00:1::1 fd00:2::1 && lping right -6 -c 1 -W 2 -s 40 -I fd00:2::1 fd00:1::1'
	cap_stop
	"$PY" "$TOOLS/esp-verify.py" --min 20 --json "$W/t30v.json" "$CONF" "$W/t30.pcap" > "$W/t30v.out" 2>&1
	check "esp-verify.py verifies every AH, ESP and IPComp layer of the capture" \
		test "$?" = 0
	sed 's/^/# /' "$W/t30v.out"
	check "... of all 12 SAs (4 AH, 4 ESP, 4 IPComp)" \
		test "$("$PY" -c 'import json, sys
print(sum(1 for s in json.load(open(sys.argv[1]))["sas"] if s["verified"] > 0 and not s["failed"]))' "$W/t30v.json")" = 12
	"$PY" "$TOOLS/esp-tshark.py" --min 20 "$CONF" "$W/t30.pcap" > "$W/t30t.out" 2>&1
	check "esp-tshark.py: tshark decrypts every ESP packet to IPComp or IP" test "$?" = 0
	sed 's/^/# /' "$W/t30t.out"

	nsenter --net="/run/netns/$NS" iperf3 -s -D -I "$W/iperf-r.pid" > /dev/null 2>&1
	nsenter --net="/run/netns/$PEER" iperf3 -s -D -I "$W/iperf-l.pid" > /dev/null 2>&1
	poll eval 'nsx ss -ltn | grep -q ":5201 "'
	poll eval 'ip netns exec "$PEER" ss -ltn | grep -q ":5201 "'
	for t in "left 10.0.1.1 10.0.2.1" "right 10.0.2.1 10.0.1.1" \
		"left fd00:1::1 fd00:2::1" "right fd00:2::1 fd00:1::1"; do
		set -- $t
		b=$(t30_iperf "$@")
		info "iperf3 $2 -> $3: ${b:-no} bytes in 2 s ($(( ${b:-0} * 8 / 2000000 )) Mbit/s)"
		check "iperf3 TCP $2 -> $3 moves data" test "${b:-0}" -gt 1000000
	done
	kill "$(cat "$W/iperf-r.pid" 2>/dev/null)" "$(cat "$W/iperf-l.pid" 2>/dev/null)" 2>/dev/null

	dp_json right "$W/r.json"
	dp_json left "$W/l.json"
	for x in "right esp.187a101b@192.168.2.110" "right ah:187a101a@3049:1::2" \
		"left esp.187a101d@192.168.2.100" "left ah:187a101c@3049:1::1"; do
		set -- $x
		t30_f=$W/${1:0:1}.json t30_said=$2
		check "$1's inbound $2 counted packets, no drop" \
			eval 'test "$(dp_sa "$t30_f" "$t30_said" packets)" -ge 100 -a "$(dp_sa "$t30_f" "$t30_said" drops)" = 0'
	done
fi
dp_down
