#!/bin/bash
# contrib/demo.sh: from a fresh Debian 12 machine (as root) to the seed's SA
# groups carrying traffic, and their ipsec_spigrp views.
#
#   contrib/demo.sh            on this machine's own kernel (no UML needed)
#   contrib/demo.sh --kernel   inside user-mode-linux, groups in its kernel
#
# Installs the packages (contrib/deps.sh) and builds spigrpd in this tree
# (contrib/build.sh).  Then, by default: two network namespaces joined by a
# veth pair ("left" 192.168.2.100 / 3049:1::1 with 10.0.1.1 and fd00:1::1
# behind it, "right" 192.168.2.110 / 3049:1::2 with 10.0.2.1 and
# fd00:2::1), each running spigrpd with contrib/seed.conf and its own
# mount, control socket and state-dir.  Where the kernel lacks ESP, AH or
# IPComp (as this machine's does) the daemons run the groups in their
# userspace datapath.  The demo prints both views, checks them against the
# seed's lines byte for byte, pings and runs iperf3 both ways over IPv4
# and IPv6 through `tun comp esp ah`, and shows the counters.  Everything
# it made (namespaces, daemons, mounts, files) goes away at the end, also
# on failure or Ctrl-C.
#
# --kernel boots the UML kernel of the test tier instead (tests/uml/run.sh
# BUILDDIR demo) and runs the demo there with the groups in a real kernel.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
mode=userspace
case ${1:-} in
--kernel) mode=kernel ;;
"") ;;
*) echo "usage: $0 [--kernel]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run this as root (it installs packages, makes network namespaces)" >&2
	exit 1
fi

# DEMO_BUILDDIR (the netns tier's t-33): use the programs built there,
# install and build nothing
if [ -z "${DEMO_BUILDDIR:-}" ]; then
	"$top/contrib/deps.sh"
	"$top/contrib/build.sh"
fi
bin=${DEMO_BUILDDIR:-$top}
if [ "$mode" = kernel ]; then
	echo "demo: booting user-mode-linux; the view is printed from inside it"
	exec "$top/tests/uml/run.sh" "$bin" demo
fi

SPIGRPD=$bin/spigrpd
SPIGRP=$bin/spigrp
L=spgdemo-left-$$
R=spgdemo-right-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-demo.XXXXXX")
chmod 755 "$work"
pids=
failed=0

# stop PID...: SIGTERM, up to 2 s each, then SIGKILL; reaped.
# shellcheck disable=SC2317 # called by cleanup (the EXIT trap)
stop() {
	local p s
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "$@"; do
		for s in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local rc=$? dirty=0 ns left s
	set +e
	# $pids are the daemons and iperf3 servers themselves (started with
	# nsenter, which execs them); then anything else still in our
	# namespaces, which must be nothing
	# shellcheck disable=SC2086 # a list of numbers
	stop $pids
	for ns in "$L" "$R"; do
		[ -e "/run/netns/$ns" ] || continue
		left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		if [ -n "$left" ]; then
			echo "demo: cleanup: processes left in $ns: $left(stopping them)" >&2
			# shellcheck disable=SC2086
			stop $left
			dirty=1
		fi
	done
	for s in left right; do
		grep -q " $work/$s/net " /proc/mounts 2>/dev/null && umount -l "$work/$s/net"
	done
	ip netns del "$L" 2>/dev/null
	ip netns del "$R" 2>/dev/null
	rm -rf "$work"
	# what it made must be gone: namespaces, mounts, processes
	for ns in "$L" "$R"; do
		[ -e "/run/netns/$ns" ] && { echo "demo: cleanup: namespace $ns left" >&2; dirty=1; }
	done
	grep -q " $work/" /proc/mounts && { echo "demo: cleanup: mounts left under $work" >&2; dirty=1; }
	for s in $pids; do
		kill -0 "$s" 2>/dev/null && { echo "demo: cleanup: process $s left" >&2; dirty=1; }
	done
	if [ "$dirty" = 0 ]; then
		echo "demo: cleaned up: namespaces, daemons, iperf3 servers, mounts, files"
	else
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

nsof() {
	[ "$1" = left ] && echo "$L" || echo "$R"
}
# inns SIDE CMD...: CMD in SIDE's network namespace only (nsenter: the
# daemon's FUSE view stays visible to everyone, unlike `ip netns exec`).
# For a background process whose PID we keep, call nsenter itself (it
# execs CMD, so $! is CMD's PID; a shell function in the background is
# a subshell, whose PID is not CMD's).
inns() {
	local ns
	ns=$(nsof "$1")
	shift
	nsenter --net="/run/netns/$ns" "$@"
}
say() {
	printf '\n== %s\n' "$*"
}
bad() {
	echo "demo: FAILED: $*"
	failed=1
}

say "two network namespaces joined by a veth pair"
ip netns add "$L"
ip netns add "$R"
ip link add dl netns "$L" type veth peer name dr netns "$R"
inns left ip link set lo up
inns right ip link set lo up
inns left ip addr add 192.168.2.100/24 dev dl
inns left ip addr add 3049:1::1/64 dev dl nodad
inns right ip addr add 192.168.2.110/24 dev dr
inns right ip addr add 3049:1::2/64 dev dr nodad
# the networks behind each end (one address each, on lo)
inns left ip addr add 10.0.1.1/32 dev lo
inns left ip addr add fd00:1::1/128 dev lo nodad
inns right ip addr add 10.0.2.1/32 dev lo
inns right ip addr add fd00:2::1/128 dev lo nodad
inns left ip link set dl up
inns right ip link set dr up
echo "left:  192.168.2.100, 3049:1::1 (behind it 10.0.1.1, fd00:1::1)"
echo "right: 192.168.2.110, 3049:1::2 (behind it 10.0.2.1, fd00:2::1)"

say "spigrpd with contrib/seed.conf on both sides"
for s in left right; do
	mkdir -p "$work/$s/state"
	chmod 700 "$work/$s/state"
	# the seed, with this side's own mount, control socket and state-dir
	awk -v d="$work/$s" '
		{ print }
		/^\[daemon\][ \t]*$/ && !done {
			print "mount = " d "/net"
			print "control = " d "/ctl"
			print "state-dir = " d "/state"
			done = 1
		}' "$top/contrib/seed.conf" > "$work/$s/spigrpd.conf"
	chmod 600 "$work/$s/spigrpd.conf"
	nsenter --net="/run/netns/$(nsof $s)" "$SPIGRPD" -f -c "$work/$s/spigrpd.conf" \
		> "$work/$s/log" 2>&1 &
	pids="$pids $!"
done
for s in left right; do
	for _ in $(seq 100); do
		grep -q 'running:' "$work/$s/log" && break
		sleep 0.1
	done
	grep -q 'running:' "$work/$s/log" || { cat "$work/$s/log"; bad "spigrpd did not start on $s"; exit 1; }
	sed -n 's/^spigrpd: [a-z]*: /  '"$s"': /p' "$work/$s/log"
done

printf '%s \n' \
	'tun.3d0@192.168.2.110 comp.3d0@192.168.2.110 esp.187a101b@192.168.2.110 ah.187a101a@192.168.2.110' \
	'tun:3d0@3049:1::2 comp:3d0@3049:1::2 esp:187a101b@3049:1::2 ah:187a101a@3049:1::2' \
	'tun.3d1@192.168.2.100 comp.3d1@192.168.2.100 esp.187a101d@192.168.2.100 ah.187a101c@192.168.2.100' \
	'tun:3d1@3049:1::1 comp:3d1@3049:1::1 esp:187a101d@3049:1::1 ah:187a101c@3049:1::1' > "$work/want"
for s in left right; do
	say "$s: cat $work/$s/net/ipsec_spigrp"
	tee "$work/$s.view" < "$work/$s/net/ipsec_spigrp"
	if cmp -s "$work/want" "$work/$s.view"; then
		echo "(the seed's lines, byte for byte)"
	else
		bad "$s's view differs from the seed's lines"
	fi
done

say "ping through tun comp esp ah, both ways, IPv4 and IPv6"
for t in "left 10.0.1.1 10.0.2.1" "right 10.0.2.1 10.0.1.1" \
	"left fd00:1::1 fd00:2::1" "right fd00:2::1 fd00:1::1"; do
	# shellcheck disable=SC2086 # the words are meant to split
	set -- $t
	if out=$(inns "$1" ping -q -c 3 -i 0.2 -W 2 -s 1000 -p 00 -I "$2" "$3" 2>&1); then
		echo "$2 -> $3: $(echo "$out" | grep -m 1 transmitted)"
	else
		bad "ping $2 -> $3: $(echo "$out" | grep -m 1 transmitted)"
	fi
done

say "iperf3 TCP through the groups, 3 s each way, IPv4 and IPv6"
for s in left right; do
	nsenter --net="/run/netns/$(nsof $s)" iperf3 -s > "$work/$s/iperf.log" 2>&1 &
	pids="$pids $!"
done
for s in left right; do
	for _ in $(seq 50); do
		inns $s ss -ltn 2>/dev/null | grep -q ':5201 ' && break
		sleep 0.1
	done
done
for t in "left 10.0.1.1 10.0.2.1" "right 10.0.2.1 10.0.1.1" \
	"left fd00:1::1 fd00:2::1" "right fd00:2::1 fd00:1::1"; do
	# shellcheck disable=SC2086 # the words are meant to split
	set -- $t
	if inns "$1" iperf3 -t 3 -B "$2" -c "$3" > "$work/iperf.out" 2>&1; then
		echo "$2 -> $3: $(awk '/receiver/ { print $7, $8 }' "$work/iperf.out")"
	else
		bad "iperf3 $2 -> $3: $(tail -n 1 "$work/iperf.out")"
	fi
done

say "right: spigrp --status (counters of the group from left, seed4)"
"$SPIGRP" --control "$work/right/ctl" --status | awk '/^group / { p = ($2 == "seed4") } p'

echo
if [ "$failed" = 0 ]; then
	echo "demo: done: both views show the seed's lines; traffic flowed both ways over IPv4 and IPv6"
else
	echo "demo: done, with failures (see above)"
fi
exit "$failed"
