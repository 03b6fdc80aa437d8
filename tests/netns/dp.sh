# tests/netns/dp.sh: helpers of the userspace datapath cases (t-3N-dp-*),
# sourced by each of them after lib.sh (in run.sh's one bash).  Not a case
# itself (run.sh runs only t-NN-name.sh).
#
# Sides: "right" is lib.sh's daemon ($NS: 192.168.2.110, 3049:1::2, its
# $CONF/$MNT/$CTL/$STATE/$LOG, $daemon_pid), "left" a second daemon in
# $PEER (192.168.2.100, 3049:1::1) with its paths below $W/left.  The inner
# addresses of contrib/seed.conf (10.0.1.1 + fd00:1::1 left, 10.0.2.1 +
# fd00:2::1 right) go on lo (this kernel has no dummy device).
#   dp_conf SIDE FILE [DATAPATH]  SIDE's config: FILE's [sa]/[group] sections
#   dp_up [FILE-LEFT [FILE-RIGHT]] both daemons (default contrib/seed.conf), the
#                          inner addresses; 0 when both run with 4 groups
#   dp_down                both stopped, the addresses gone
#   dp_ctl SIDE            the control socket path; dp_json SIDE FILE
#   dp_sa FILE SAID KEY    a counter of an SA in a --json answer (-1: none;
#                          KEY "drops": the drop reasons summed)
#   cap_start NAME / cap_stop   dumpcap on the right end of the veth, $W/NAME.pcap
#   mac_of SIDE            the MAC address of SIDE's veth end
TOOLS=$srcdir/tests/tools
LW=$W/left
mkdir -p "$LW" && chmod 755 "$LW"
LCONF=$LW/spigrpd.conf
LLOG=$LW/daemon.log
left_pid=
cap_pid=

dp_left_stop() {
	[ -n "$left_pid" ] || return 0
	kill -TERM "$left_pid" 2>/dev/null
	local i
	for i in $(seq 50); do
		kill -0 "$left_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$left_pid" 2>/dev/null
	wait "$left_pid" 2>/dev/null
	left_pid=
	while grep -q " $LW/net " /proc/mounts 2>/dev/null; do
		umount -l "$LW/net" 2>/dev/null || break
	done
}
cap_stop() {
	[ -n "$cap_pid" ] || return 0
	sleep 0.3
	kill -TERM "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
}
trap 'cap_stop; dp_left_stop; cleanup' EXIT

# dp_conf SIDE FILE [DATAPATH]: SIDE's config from FILE's [sa] and [group]
# sections, datapath DATAPATH (default auto), SIDE's paths.
dp_conf() {
	local side=$1 file=$2 dp=${3:-auto} out mnt ctl st
	if [ "$side" = left ]; then
		out=$LCONF mnt=$LW/net ctl=$LW/ctl st=$LW/state
	else
		out=$CONF mnt=$MNT ctl=$CTL st=$STATE
	fi
	{
		printf '[daemon]\ndatapath = %s\nmount = %s\ncontrol = %s\nstate-dir = %s\n\n' \
			"$dp" "$mnt" "$ctl" "$st"
		awk '/^\[/ { skip = ($0 ~ /^\[daemon\]/) } !skip' "$file"
	} > "$out.new" && chmod 600 "$out.new" && mv -f "$out.new" "$out"
}
dp_ctl() {
	if [ "$1" = left ]; then echo "$LW/ctl"; else echo "$CTL"; fi
}
dp_view() {
	if [ "$1" = left ]; then cat "$LW/net/ipsec_spigrp"; else cat "$V"; fi
}
dp_addrs() {	# add|del
	nsx ip addr "$1" 10.0.2.1/32 dev lo 2>/dev/null
	nsx ip addr "$1" fd00:2::1/128 dev lo nodad 2>/dev/null
	ip -n "$PEER" addr "$1" 10.0.1.1/32 dev lo 2>/dev/null
	ip -n "$PEER" addr "$1" fd00:1::1/128 dev lo nodad 2>/dev/null
	return 0
}
# dp_start_left: the left daemon on $LCONF; 0 once it runs
dp_start_left() {
	: > "$LLOG"
	nsenter --net="/run/netns/$PEER" "$SPIGRPD" -f -c "$LCONF" >> "$LLOG" 2>&1 &
	left_pid=$!
	local i
	for i in $(seq 100); do
		grep -q 'running:' "$LLOG" && return 0
		kill -0 "$left_pid" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/# left log: /' "$LLOG"
	return 1
}
# dp_up [FILE-LEFT [FILE-RIGHT]]: both daemons on the files (default the
# seed), the inner addresses.  0 when both run.
dp_up() {
	local fl=${1:-$srcdir/contrib/seed.conf} fr=${2:-${1:-$srcdir/contrib/seed.conf}}
	dp_addrs add
	dp_conf left "$fl"
	dp_conf right "$fr"
	dp_start_left || return 1
	need_start "the right daemon starts" || return 1
}
dp_down() {
	cap_stop
	dp_left_stop
	end_daemon "(datapath case)"
	dp_addrs del
}
# dp_json SIDE FILE: spigrp --json of SIDE into FILE
dp_json() {
	"$SPIGRP" --control "$(dp_ctl "$1")" --json > "$2"
}
# dp_sa FILE SAID KEY: KEY of SAID in a --json answer: packets, bytes, a
# drop reason (icv, replay, policy, selector, malformed, inflate, mtu,
# seq) or "drops" (their sum, seq aside); -1 when missing.
dp_sa() {
	"$PY" "$TOOLS/status-sa.py" "$@"
}
# cap_start NAME: dumpcap on $NS's end of the veth into $W/NAME.pcap
cap_start() {
	local f=$W/$1.pcap i
	rm -f "$f"
	nsenter --net="/run/netns/$NS" dumpcap -q -P -i spgt0 -w "$f" > "$W/dumpcap.log" 2>&1 &
	cap_pid=$!
	for i in $(seq 50); do
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	return 1
}
mac_of() {
	if [ "$1" = left ]; then
		ip -n "$PEER" -o link show spgp0
	else
		nsx ip -o link show spgt0
	fi | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p'
}
# lping SIDE ARGS...: a quiet ping in SIDE
lping() {
	local side=$1
	shift
	if [ "$side" = left ]; then
		ip netns exec "$PEER" ping -q "$@" > /dev/null 2>&1
	else
		nsx ping -q "$@" > /dev/null 2>&1
	fi
}
