# t-15-nft-table: the nftables table that drops cleartext look-alikes of
# userspace groups' inbound traffic (src/kern/nft.c, loaded through
# tests/tools/nftdrive), checked with `nft list` and with real packets from
# the peer namespace.
#
# Extra addresses (removed at the end): the peer has 10.77.1.1 and
# fd77:1::1 (inside the groups' src-ts) and 10.77.2.1, fd77:2::1 (outside);
# the daemon's namespace has 10.77.9.1 and fd77:9::1 (inside dst-ts).
# Groups: in4 10.77.1.0/24 -> 10.77.9.0/24; in6 fd77:1::/64 ->
# fd77:9::/64 and ff02::/16 (so that neighbour solicitations from
# fd77:1::1 match and must be exempt); tcp4 10.77.2.0/24 -> 10.77.9.0/24,
# TCP port 5555 only.

NFTDRIVE=$builddir/tests/tools/nftdrive
G_IN4='in4=10.77.1.0/24=10.77.9.0/24'
G_IN6='in6=fd77:1::/64=fd77:9::/64,ff02::/16'
G_TCP4='tcp4=10.77.2.0/24=10.77.9.0/24=6=0=5555'

# fails CMD...: CMD (a function too) fails
fails() {
	! "$@" 2>/dev/null
}
# has_table NAME: $NS has table inet NAME
has_table() {
	nsx nft list table inet "$1" >/dev/null 2>&1
}
# nft_counter GROUP-COMMENT-OR-TEXT: packets counted by our rule whose
# line holds that text (0 when none)
nft_counter() {
	nsx nft list table inet spigrpd 2>/dev/null | grep -F -- "$1" |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}
# ping_from SRC DST: one echo answered within 2 s (from the peer)
ping_from() {
	ip netns exec "$PEER" ping -q -c 1 -W 2 -I "$1" "$2" >/dev/null 2>&1
}
# tcp_from SRC DST PORT: what a connect from the peer saw: refused (the SYN
# reached the host, whose port is closed) or timeout (dropped)
tcp_from() {
	ip netns exec "$PEER" "$PY" - "$1" "$2" "$3" <<'EOF'
import socket, sys
af = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(af, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0))
s.settimeout(2)
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
EOF
}
# raw_to PROTO SRC DST: a raw IP packet of protocol PROTO sent from the
# peer (SRC) reaches a raw socket of that protocol in $NS: 0 when it did
raw_to() {
	nsx "$PY" - "$@" <<'EOF' &
import socket, sys
af = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
r = socket.socket(af, socket.SOCK_RAW, int(sys.argv[1]))
r.settimeout(3)
try:
    while True:
        data, src = r.recvfrom(2048)
        if src[0] == sys.argv[2] and b"spigrp-nft-probe" in data:
            sys.exit(0)
except socket.timeout:
    sys.exit(1)
EOF
	local rx=$!
	sleep 0.3
	ip netns exec "$PEER" "$PY" - "$@" <<'EOF'
import socket, sys
af = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
s = socket.socket(af, socket.SOCK_RAW, int(sys.argv[1]))
s.bind((sys.argv[2], 0))
s.sendto(b"\0\0\1\0\0\0\0\1spigrp-nft-probe" + b"\0" * 32, (sys.argv[3], 0))
EOF
	wait "$rx"
}
# tun_inject: an ICMP echo 10.77.1.1 -> 10.77.9.1 written into a TUN device
# spigrp0 in $NS (what the datapath does with a decapsulated packet)
tun_inject() {
	nsx "$PY" - <<'EOF'
import fcntl, os, socket, struct, subprocess, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"spigrp0", 0x0001 | 0x1000))
subprocess.run(["sysctl", "-qw", "net.ipv4.conf.spigrp0.rp_filter=0"], check=True)
subprocess.run(["ip", "link", "set", "spigrp0", "up"], check=True)
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
icmp = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"spigrp-nft-tun"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                 socket.inet_aton("10.77.1.1"), socket.inet_aton("10.77.9.1"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
for i in range(3):
    os.write(fd, ip + icmp)
time.sleep(0.3)
os.close(fd)
EOF
}

nft15_up() {
	ip -n "$PEER" addr add 10.77.1.1/32 dev spgp0 &&
		ip -n "$PEER" addr add 10.77.2.1/32 dev spgp0 &&
		ip -n "$PEER" addr add fd77:1::1/128 dev spgp0 nodad &&
		ip -n "$PEER" addr add fd77:2::1/128 dev spgp0 nodad &&
		ip -n "$PEER" route add 10.77.9.1/32 dev spgp0 &&
		ip -n "$PEER" route add fd77:9::1/128 dev spgp0 &&
		nsx ip addr add 10.77.9.1/32 dev spgt0 &&
		nsx ip addr add fd77:9::1/128 dev spgt0 nodad &&
		nsx ip route add 10.77.1.1/32 dev spgt0 &&
		nsx ip route add 10.77.2.1/32 dev spgt0 &&
		nsx ip route add fd77:1::1/128 dev spgt0 &&
		nsx ip route add fd77:2::1/128 dev spgt0 &&
		nsx sysctl -qw net.ipv4.conf.all.rp_filter=0
}
nft15_down() {
	nsx nft delete table inet spigrpd 2>/dev/null
	nsx nft delete table inet bystander 2>/dev/null
	nsx ip link del spigrp0 2>/dev/null
	for a in 10.77.1.1/32 10.77.2.1/32 fd77:1::1/128 fd77:2::1/128; do
		ip -n "$PEER" addr del "$a" dev spgp0 2>/dev/null
	done
	for a in 10.77.9.1/32 fd77:9::1/128; do
		nsx ip addr del "$a" dev spgt0 2>/dev/null
	done
	nsx ip route flush dev spgt0 proto boot 2>/dev/null
	nsx ip -6 route flush dev spgt0 proto boot 2>/dev/null
	ip -n "$PEER" route flush dev spgp0 proto boot 2>/dev/null
	ip -n "$PEER" -6 route flush dev spgp0 proto boot 2>/dev/null
	return 0
}

if ! command -v nft >/dev/null 2>&1 || [ ! -x "$NFTDRIVE" ]; then
	not_ok "nft and $NFTDRIVE are there (contrib/deps.sh; make check-netns builds the driver)"
elif ! nft15_up; then
	not_ok "extra addresses and routes for the nftables case"
	nft15_down
else
	nsx nft -f - <<'EOF'
table inet bystander {
	chain c {
		type filter hook input priority 10; policy accept;
		counter
	}
}
EOF
	check "before the table: a ping from 10.77.1.1 (inside in4's src-ts) is answered" \
		ping_from 10.77.1.1 10.77.9.1
	check "the driver loads the table (three groups, TUN spigrp0)" \
		nsx "$NFTDRIVE" spigrp0 "$G_IN4" "$G_IN6" "$G_TCP4"
	listing=$(nsx nft list table inet spigrpd 2>&1)
	check "nft list: input and forward hooks" \
		test "$(echo "$listing" | grep -c 'type filter hook \(input\|forward\) priority filter; policy accept;')" = 2
	check "nft list: lo and the TUN exempt, ESP/AH/IPComp exempt, ND exempt" \
		bash -c 'grep -q "iifname { \"lo\", \"spigrp0\" }" <<<"$1" &&
			grep -q "meta l4proto { esp, ah, ipcomp }" <<<"$1" &&
			grep -q "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect }" <<<"$1"' _ "$listing"
	check "nft list: one drop rule per group" \
		bash -c 'grep -q "ip saddr 10.77.1.0/24 ip daddr 10.77.9.0/24 counter .* drop comment \"group in4\"" <<<"$1" &&
			grep -q "ip6 saddr fd77:1::/64 ip6 daddr { fd77:9::/64, ff02::/16 } counter .* drop comment \"group in6\"" <<<"$1" &&
			grep -q "ip saddr 10.77.2.0/24 ip daddr 10.77.9.0/24 tcp dport 5555 counter .* drop comment \"group tcp4\"" <<<"$1"' _ "$listing"
	check "another program's table is untouched" \
		has_table bystander
	check "a cleartext ping from 10.77.1.1 (inside in4) is dropped" \
		fails ping_from 10.77.1.1 10.77.9.1
	check "... and counted by in4's rule" test "$(nft_counter 'group in4')" -ge 1
	check "a ping from 10.77.2.1 (outside in4; tcp4 is TCP 5555 only) is answered" \
		ping_from 10.77.2.1 10.77.9.1
	check "TCP from 10.77.2.1 to port 5555 (tcp4) is dropped" \
		test "$(tcp_from 10.77.2.1 10.77.9.1 5555)" = timeout
	check "TCP from 10.77.2.1 to port 5556 reaches the host (refused)" \
		test "$(tcp_from 10.77.2.1 10.77.9.1 5556)" = refused
	ip -n "$PEER" neigh flush dev spgp0
	check "a cleartext ping6 from fd77:1::1 (inside in6) is dropped" \
		fails ping_from fd77:1::1 fd77:9::1
	check "... its neighbour solicitation (to ff02::1:ff.., inside in6) passed: the peer learned fd77:9::1" \
		bash -c 'ip -n "$1" -6 neigh show fd77:9::1 dev spgp0 | grep -q lladdr' _ "$PEER"
	check "... and the ND exemption counted it" \
		test "$(nft_counter 'nd-neighbor-solicit')" -ge 1
	check "a ping6 from fd77:2::1 (outside in6) is answered" \
		ping_from fd77:2::1 fd77:9::1
	check "ESP from 10.77.1.1 (inside in4) reaches a raw ESP socket" raw_to 50 10.77.1.1 10.77.9.1
	check "AH from 10.77.1.1 reaches a raw AH socket" raw_to 51 10.77.1.1 10.77.9.1
	check "IPComp from fd77:1::1 (inside in6) reaches a raw IPComp socket" \
		raw_to 108 fd77:1::1 fd77:9::1
	before=$(nft_counter 'group in4')
	exempt=$(nft_counter 'iifname { "lo", "spigrp0" }')
	tun_inject
	check "echoes 10.77.1.1 -> 10.77.9.1 written into the TUN spigrp0 pass the TUN exemption" \
		test "$(nft_counter 'iifname { "lo", "spigrp0" }')" -ge $((exempt + 3))
	check "... and is not counted as a drop" test "$(nft_counter 'group in4')" = "$before"

	# a table left behind (the driver has exited, as a daemon killed with
	# -9 would) is taken over and replaced whole by the next one
	check "a second run replaces the table (in4 only)" nsx "$NFTDRIVE" spigrp0 "$G_IN4"
	listing=$(nsx nft list table inet spigrpd 2>&1)
	check "... in6 and tcp4 are gone, in4 stays, counters start again" \
		bash -c '! grep -q "group in6\|group tcp4" <<<"$1" &&
			grep -q "counter packets 0 bytes 0 drop comment \"group in4\"" <<<"$1"' _ "$listing"
	check "... now a ping6 from fd77:1::1 is answered" ping_from fd77:1::1 fd77:9::1
	check "no group: the table is removed" nsx "$NFTDRIVE" spigrp0
	check "... nft lists no table inet spigrpd" fails has_table spigrpd
	check "... and the ping from 10.77.1.1 is answered again" ping_from 10.77.1.1 10.77.9.1
	check "removing an absent table is not an error" nsx "$NFTDRIVE" spigrp0 --remove
	check "the bystander table is still there" has_table bystander
	check "a bad TUN name is refused" fails nsx "$NFTDRIVE" 'bad name' "$G_IN4"
	nft15_down
fi
