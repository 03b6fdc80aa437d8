#!/bin/sh
# Records the packet fixtures of tests/data/dp/ (see its README): what the
# UML kernel's XFRM sends and receives for contrib/seed.conf's groups
# (placed in the kernel by spigrpd) and for transport-mode AH SAs made by
# hand over IPv4 with options and over IPv6 with extension headers.  Not a
# test case (prefix rec-, not t-): run by tests/tools/record-dp.sh, which
# copies $UMLT_OUT/dp/* into the tree.  Every namespace here is new and
# thrown away.  Keys are test keys (the seed's examples, counting bytes).
. "$UMLT_SRC/tests/uml/lib.sh"

O=$UMLT_OUT/dp
mkdir -p "$O"
rm -f "$O"/*.pcap "$O"/*.txt

# capture on both ends of the veth: capture_start NAME, capture_stop
capture_start() {
	_pids=
	for _s in left right; do
		_if=vl
		[ $_s = right ] && _if=vr
		rm -f "$O/$1-$_s.pcap"
		nsenter --net=/run/netns/$_s dumpcap -q -P -i $_if -w "$O/$1-$_s.pcap" \
			> "$T/dumpcap-$_s.log" 2>&1 &
		_pids="$_pids $!"
	done
	_i=0
	while { [ ! -s "$O/$1-left.pcap" ] || [ ! -s "$O/$1-right.pcap" ]; } && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$O/$1-left.pcap" ] && [ -s "$O/$1-right.pcap" ] ||
		fail "dumpcap did not start: $(cat "$T"/dumpcap-*.log)"
}
capture_stop() {
	sleep 0.5
	for _p in $_pids; do
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
}

# udp_send NS SRC DST PORT SIZE [v4opts HEX|v6opts HBH-HEX DST-HEX]: one UDP
# datagram of SIZE bytes of os.urandom (incompressible), with IP options
# or IPv6 hop-by-hop / destination options given as raw header bytes.
udp_send() {
	ns "$1" "$PY" - "$2" "$3" "$4" "$5" "${6:-}" "${7:-}" "${8:-}" <<'EOF' || fail "udp_send $*"
import os, socket, sys
src, dst, port, size, kind, a, b = sys.argv[1:8]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, 4500 + 1))
if kind == "v4opts":
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes.fromhex(a))
elif kind == "v6opts":
    s.setsockopt(socket.IPPROTO_IPV6, 54, bytes.fromhex(a))   # IPV6_HOPOPTS
    s.setsockopt(socket.IPPROTO_IPV6, 59, bytes.fromhex(b))   # IPV6_DSTOPTS
s.sendto(os.urandom(int(size)), (dst, int(port)))
EOF
}

step "kernel $(uname -r)"
uname -r > "$O/KERNEL"

# ---- the seed's groups in the kernel, placed by spigrpd ----
step "seed: spigrpd places contrib/seed.conf in the kernel; traffic both ways"
topo_up
daemons_up left right
capture_start seed
# small (uncompressed: ESP carries IPIP), big (compressed), ECN/DSCP marked,
# incompressible UDP
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "ping v4"
ns left ping -6 -c 2 -i 0.3 -W 3 -s 40 -I fd00:1::1 fd00:2::1 > /dev/null || fail "ping v6"
ns left ping -c 1 -W 3 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "ping -s 1000 v4"
ns left ping -6 -c 1 -W 3 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null || fail "ping -s 1000 v6"
ns left ping -c 1 -W 3 -s 300 -p 41 -Q 0x2b -I 10.0.1.1 10.0.2.1 > /dev/null || fail "ping -Q v4"
ns left ping -6 -c 1 -W 3 -s 300 -p 41 -Q 0x2b -I fd00:1::1 fd00:2::1 > /dev/null ||
	fail "ping -Q v6"
ns left ping -c 1 -W 3 -Q 0x29 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "ping -Q 0x29 v4"
udp_send left 10.0.1.1 10.0.2.1 9 400
udp_send left fd00:1::1 fd00:2::1 9 400
capture_stop
xstates left > "$O/seed-states-left.txt"
xstates right > "$O/seed-states-right.txt"
daemon_stop left
daemon_stop right

# ---- transport-mode AH by hand: IPv4 with options, IPv6 with headers ----
step "AH transport: IPv4 options (align4 and align8), IPv6 hop-by-hop and destination options"
AHK4=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
AHK6=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
for s in left right; do
	ns $s ip xfrm state add src 192.168.2.100 dst 192.168.2.110 proto ah spi 0x1004 \
		mode transport replay-window 32 flag align4 \
		auth-trunc 'hmac(sha256)' $AHK4 128 || fail "AH state v4 align4"
	ns $s ip xfrm state add src 192.168.2.100 dst 192.168.2.110 proto ah spi 0x1008 \
		mode transport replay-window 32 flag esn \
		auth-trunc 'hmac(sha256)' $AHK4 128 || fail "AH state v4 align8 esn"
	ns $s ip xfrm state add src 3049:1::1 dst 3049:1::2 proto ah spi 0x1006 \
		mode transport replay-window 32 flag esn \
		auth-trunc 'hmac(sha256)' $AHK6 128 || fail "AH state v6"
done
ns left ip xfrm policy add src 192.168.2.100 dst 192.168.2.110 proto udp dport 7004 dir out \
	tmpl proto ah spi 0x1004 mode transport || fail "policy v4 align4"
ns left ip xfrm policy add src 192.168.2.100 dst 192.168.2.110 proto udp dport 7008 dir out \
	tmpl proto ah spi 0x1008 mode transport || fail "policy v4 align8"
ns left ip xfrm policy add src 3049:1::1 dst 3049:1::2 proto udp dport 7006 dir out \
	tmpl proto ah spi 0x1006 mode transport || fail "policy v6"
capture_start ah
# IPv4 options: NOP, Router Alert (148, immutable), Record Route (7, mutable,
# room for 2 addresses), End
udp_send left 192.168.2.100 192.168.2.110 7004 120 v4opts 0194040000070b040000000000000000
udp_send left 192.168.2.100 192.168.2.110 7008 120 v4opts 0194040000070b040000000000000000
# hop-by-hop: option 0x3e (mutable: bit 0x20 set) 4 bytes, option 0x1e
# (immutable) 4 bytes, PadN; destination options: 0x3f (mutable) 2 bytes,
# PadN (no routing header: AH goes after both, ip6_find_1stfragopt())
udp_send left 3049:1::1 3049:1::2 7006 120 v6opts 11013e04aabbccdd1e04112233440100 \
	11003f0255660100
udp_send left 3049:1::1 3049:1::2 7006 60 v6opts 11013e04aabbccdd1e04112233440100 \
	11003f0255660100
capture_stop
ns right ip -s xfrm state > "$O/ah-states-right.txt"
for s in left right; do
	ns $s ip xfrm policy flush
	ns $s ip xfrm state flush
done

# ---- IPComp alone: a tun comp group (CPI 0x3d0) left -> right ----
step "tun comp: compressed and uncompressed (IPIP) packets, IPv4 and IPv6"
ns left ip route add 10.0.2.0/24 via 192.168.2.110 src 10.0.1.1
ns left ip -6 route add fd00:2::/64 via 3049:1::2 src fd00:1::1
ns right ip route add 10.0.1.0/24 via 192.168.2.100 src 10.0.2.1
ns right ip -6 route add fd00:1::/64 via 3049:1::1 src fd00:2::1
for s in left right; do
	ns $s ip xfrm state add src 192.168.2.100 dst 192.168.2.110 proto comp spi 0x3d0 \
		mode tunnel comp deflate || fail "comp state v4"
	ns $s ip xfrm state add src 3049:1::1 dst 3049:1::2 proto comp spi 0x3d0 \
		mode tunnel comp deflate || fail "comp state v6"
done
ns left ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 dir out \
	tmpl src 192.168.2.100 dst 192.168.2.110 proto comp mode tunnel || fail "comp policy"
ns left ip xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir out \
	tmpl src 3049:1::1 dst 3049:1::2 proto comp mode tunnel || fail "comp policy v6"
for d in in fwd; do
	ns right ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 dir $d \
		tmpl src 192.168.2.100 dst 192.168.2.110 proto comp mode tunnel level use ||
		fail "comp policy $d"
	ns right ip xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir $d \
		tmpl src 3049:1::1 dst 3049:1::2 proto comp mode tunnel level use ||
		fail "comp policy v6 $d"
done
capture_start comp
ns left ping -c 1 -W 3 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "comp ping big v4"
ns left ping -c 1 -W 3 -s 300 -p 41 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "comp ping 300 v4"
ns left ping -c 1 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "comp ping small v4"
ns left ping -6 -c 1 -W 3 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null || fail "comp ping big v6"
ns left ping -6 -c 1 -W 3 -s 300 -p 41 -I fd00:1::1 fd00:2::1 > /dev/null || fail "comp ping 300 v6"
ns left ping -6 -c 1 -W 3 -s 20 -I fd00:1::1 fd00:2::1 > /dev/null || fail "comp ping small v6"
udp_send left 10.0.1.1 10.0.2.1 9 400
udp_send left fd00:1::1 fd00:2::1 9 400
capture_stop
exit 0
