# t-26-dp-crash: what a hostile peer and a crash found in the userspace
# datapath (dp-break): the IPv6 rule "not fwmark" beside the IPv4 one (a
# rule dump holds every family: the IPv4 rule once passed for the IPv6
# one, and IPv6 groups got no traffic); ping6 through `tun comp esp ah`
# with a peer daemon; after kill -9 the groups' dst-ts stay blackholed by
# the routes' twins (the TUN's routes vanish with the device, the rule
# stays: without the twins the main table sent the traffic in clear);
# the restart takes the twins over; SIGTERM removes them.
#
# Extra addresses (removed at the end): 10.0.2.1 and fd00:2::1 in the
# daemon's namespace, 10.0.1.1 and fd00:1::1 in the peer's; a default
# route each way through the veth (what makes a leak possible).

seed_both | write_conf "$CONF"
sed -i 's/^datapath = kernel$/datapath = auto/' "$CONF"
T25=$W/t25peer
peer_conf "$T25"
trap 'stop_peer; cleanup' EXIT
t25_quiet() {
	"$@" >/dev/null 2>&1
}
# t25_via_main DST SRC: the kernel routes DST from SRC by the main table's
# default route (in clear), not into the TUN or a blackhole.
t25_via_main() {
	nsx ip route get "$1" from "$2" 2>/dev/null | grep -q "via"
}
t25_holes() {
	test "$(nsx ip -4 route show table 2336 type blackhole | grep -c '^blackhole 10\.0\.1\.0/24')" = 1 &&
		test "$(nsx ip -6 route show table 2336 type blackhole | grep -c '^blackhole fd00:1::/64')" = 1
}

nsx ip addr add 10.0.2.1/32 dev lo
nsx ip addr add fd00:2::1/128 dev lo
ip -n "$PEER" addr add 10.0.1.1/32 dev lo
ip -n "$PEER" addr add fd00:1::1/128 dev lo
nsx ip route add default via 192.168.2.100
nsx ip -6 route add default via 3049:1::1
if need_start "spigrpd starts on contrib/seed.conf (datapath = auto)"; then
	check "the IPv6 rule at priority 9000 skips the mark, as the IPv4 one" \
		eval 'nsx ip -6 rule show priority 9000 | grep -q "not from all fwmark 0x53470000/0xffff0000 lookup 2336"'
	check "each route into the TUN has a blackhole twin" t25_holes
	start_peer "$T25"
	check "ping6 daemon -> peer through tun comp esp ah (fd00:2::1 -> fd00:1::1)" \
		t25_quiet nsx ping -6 -q -c 2 -W 2 -I fd00:2::1 fd00:1::1
	check "ping daemon -> peer (10.0.2.1 -> 10.0.1.1)" \
		t25_quiet nsx ping -q -c 2 -W 2 -I 10.0.2.1 10.0.1.1
	check "kill -9" stop_daemon KILL
	check "... the TUN device is gone" eval '! nsx ip link show spigrp0 >/dev/null 2>&1'
	check "... the blackhole twins stay" t25_holes
	check "... 10.0.1.1 is not routed in clear by the main table" \
		eval '! t25_via_main 10.0.1.1 10.0.2.1'
	check "... nor fd00:1::1" eval '! t25_via_main fd00:1::1 fd00:2::1'
	if need_start "spigrpd starts again after kill -9"; then
		check "the restart takes the twins over (one each)" t25_holes
		check "traffic flows again" t25_quiet nsx ping -q -c 2 -W 2 -I 10.0.2.1 10.0.1.1
		check "SIGTERM stops the daemon" stop_daemon TERM
		check "... and removes the twins" \
			eval 'test -z "$(nsx ip route show table 2336)$(nsx ip -6 route show table 2336)"'
		check "... the main table routes the prefix again (a clean stop)" \
			t25_via_main 10.0.1.1 10.0.2.1
	fi
fi
stop_peer
trap cleanup EXIT
nsx ip route del default 2>/dev/null
nsx ip -6 route del default 2>/dev/null
nsx ip addr del 10.0.2.1/32 dev lo 2>/dev/null
nsx ip addr del fd00:2::1/128 dev lo 2>/dev/null
ip -n "$PEER" addr del 10.0.1.1/32 dev lo 2>/dev/null
ip -n "$PEER" addr del fd00:1::1/128 dev lo 2>/dev/null
end_daemon
