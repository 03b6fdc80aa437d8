# t-16-dp-daemon: the real daemon on this kernel (no ESP, AH or IPComp)
# puts contrib/seed.conf's groups in its userspace datapath: installed and
# in the view, the TUN device, the routes into it with `mtu lock`, the
# rule "not fwmark", the nftables table, the sequence file, the counters in
# spigrp --status/--json; a reload touches nothing; SIGTERM takes it all
# away.  Traffic itself: a second daemon in the peer namespace, one ping
# each way through `tun comp esp ah` (the full traffic tests with tshark
# and scapy are tests/netns' dp cases).
#
# Extra addresses (removed at the end): 10.0.2.1 in the daemon's namespace,
# 10.0.1.1 in the peer's (inside the seed's selectors).

# fails_quietly CMD...: CMD fails; quietly CMD...: CMD succeeds (no output)
fails_quietly() {
	! "$@" >/dev/null 2>&1
}
quietly() {
	"$@" >/dev/null 2>&1
}
# The seed's four groups (both directions), datapath = auto.
seed_both() {
	sed -e '/^\[daemon\]/,/^\[/{/^\[sa\|^\[group/!d}' "$srcdir/contrib/seed.conf"
}
seed_both | write_conf "$CONF"
sed -i 's/^datapath = kernel$/datapath = auto/' "$CONF"

PW=$W/peer
mkdir -p "$PW" && chmod 755 "$PW"
PCONF=$PW/spigrpd.conf
{
	printf '[daemon]\ndatapath = auto\nmount = %s/net\ncontrol = %s/ctl\nstate-dir = %s/state\n' \
		"$PW" "$PW" "$PW"
	seed_both
} > "$PCONF" && chmod 600 "$PCONF"
peer_pid=
stop_peer() {
	[ -n "$peer_pid" ] || return 0
	kill -TERM "$peer_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	peer_pid=
}
trap 'stop_peer; cleanup' EXIT

# json_dp KEY: the datapath object's KEY in spigrp --json
json_dp() {
	"$SPIGRP" --control "$CTL" --json |
		"$PY" -c 'import json, sys
print(json.load(sys.stdin)["datapath"].get(sys.argv[1]))' "$1"
}

if need_start "spigrpd starts on contrib/seed.conf (datapath = auto)"; then
	check "all four groups installed" \
		test "$(json_states)" = "seed4=installed seed6=installed seed4-reverse=installed seed6-reverse=installed"
	check "... in the userspace datapath (the kernel probe said no)" \
		eval '"$SPIGRP" --control "$CTL" --status | grep -c "placement: userspace (kernel probe:" | grep -qx 4'
	check "the view lists the four groups" test "$(wc -l < "$V")" = 4
	check "the view's first line is the seed's" \
		test "$(head -n 1 "$V")" = "tun.3d0@192.168.2.110 comp.3d0@192.168.2.110 esp.187a101b@192.168.2.110 ah.187a101a@192.168.2.110 "
	check "TUN device spigrp0 is up, without addresses" \
		eval 'nsx ip -o link show spigrp0 | grep -q "UP" && test -z "$(nsx ip -o addr show dev spigrp0)"'
	check "IPv4 dst-ts of the outbound group routed into spigrp0 with mtu lock" \
		eval 'nsx ip -4 route show table 2336 | grep -Eq "^10\.0\.1\.0/24 dev spigrp0 .*mtu lock [0-9]+"'
	check "IPv6 dst-ts too" \
		eval 'nsx ip -6 route show table 2336 | grep -Eq "^fd00:1::/64 dev spigrp0 .*mtu lock [0-9]+"'
	check "the rule skips the datapath's mark" \
		eval 'nsx ip -4 rule show priority 9000 | grep -q "not from all fwmark 0x53470000/0xffff0000 lookup 2336"'
	if command -v nft >/dev/null 2>&1; then
		check "the nftables table inet spigrpd is there" \
			eval 'nsx nft list table inet spigrpd >/dev/null'
	fi
	check "state-dir/seq exists, mode 0600" test "$(stat -c %a "$STATE/seq" 2>/dev/null)" = 600
	check "spigrp --status shows drops per reason and the datapath line" \
		eval '"$SPIGRP" --control "$CTL" --status | grep -q "^    drops: icv 0 replay 0" &&
			"$SPIGRP" --control "$CTL" --status | grep -q "^datapath: spigrp0 "'
	check "spigrp --json: datapath running on spigrp0" test "$(json_dp device)" = spigrp0
	# (not /sys/class/net: sysfs shows the namespace it was mounted in)
	tun_ifindex() {
		nsx ip -o link show spigrp0 2>/dev/null | cut -d: -f1
	}
	ifindex=$(tun_ifindex)

	# traffic with a second daemon in the peer namespace
	nsx ip addr add 10.0.2.1/32 dev lo
	ip -n "$PEER" addr add 10.0.1.1/32 dev lo
	nsenter --net="/run/netns/$PEER" "$SPIGRPD" -f -c "$PCONF" > "$PW/log" 2>&1 &
	peer_pid=$!
	poll grep -q 'running:' "$PW/log"
	check "ping peer -> daemon through tun comp esp ah (10.0.1.1 -> 10.0.2.1)" \
		quietly ip netns exec "$PEER" ping -q -c 2 -W 2 -I 10.0.1.1 10.0.2.1
	check "ping daemon -> peer (10.0.2.1 -> 10.0.1.1)" \
		quietly nsx ping -q -c 2 -W 2 -I 10.0.2.1 10.0.1.1
	check "the inbound ESP SA counted them" \
		eval 'test "$(sa_packets esp.187a101b@192.168.2.110)" -ge 2'
	check "the outbound AH SA too" \
		eval 'test "$(sa_packets ah.187a101c@192.168.2.100)" -ge 2'
	check "the datapath read from the TUN and sent" \
		eval 'test "$(json_dp tun_packets)" -ge 2 -a "$(json_dp tx_packets)" -ge 2'

	kill -HUP "$daemon_pid"
	wait_log 'reloaded'
	check "a reload with nothing changed keeps the groups and the device" \
		eval 'test "$(json_states)" = "seed4=installed seed6=installed seed4-reverse=installed seed6-reverse=installed" &&
			test -n "$ifindex" -a "$(tun_ifindex)" = "$ifindex"'
	check "... and the counters" eval 'test "$(sa_packets esp.187a101b@192.168.2.110)" -ge 2'
	check "traffic still flows after the reload" \
		quietly ip netns exec "$PEER" ping -q -c 1 -W 2 -I 10.0.1.1 10.0.2.1
	stop_peer
	check "SIGTERM stops the daemon" stop_daemon TERM
	check "... and removes the TUN device" fails_quietly nsx ip link show spigrp0
	check "... the rule" eval 'test -z "$(nsx ip -4 rule show priority 9000)"'
	if command -v nft >/dev/null 2>&1; then
		check "... and the nftables table" fails_quietly nsx nft list table inet spigrpd
	fi
	nsx ip addr del 10.0.2.1/32 dev lo 2>/dev/null
	ip -n "$PEER" addr del 10.0.1.1/32 dev lo 2>/dev/null
fi
stop_peer
trap cleanup EXIT
end_daemon
