#!/bin/bash
# bench/reload.sh BUILDDIR — a start and a SIGHUP side by side, at 10,000
# and 100,000 groups (make bench-reload), on the host kernel, in a network
# namespace of its own.  Root.
#
# What the figures measure: wall-clock seconds from launching `spigrpd -f`
# until it logs "running:" (config read, model built, kernel adoption,
# every group placed and installed or refused, view published), and from
# SIGHUP until it logs "reloaded" (config read again, model rebuilt, the
# difference applied, view published).  Two kinds of groups:
#   seed   bench/gen.py's comp+esp+ah tunnel groups, datapath = kernel.
#          This kernel has no ESP/AH/IPComp: every group is sent to the
#          kernel and refused (EPROTONOSUPPORT) at start, and a SIGHUP tries
#          every refused group again, so both do the same kernel work.
#   shunt  %pass groups, host to host (/32 selectors: the kernel's policy
#          hash, not its linear list of prefix policies), one policy each
#          in, fwd and out: installed for real at start; a SIGHUP of the
#          same file sends nothing.
# Each run gets a fresh namespace; the daemon then stops with
# keep-on-exit = yes (its stop is not measured here: see b-01-program.sh)
# and the namespace goes with everything in it.
# The issue's goal: a SIGHUP within 2x of a start at 100,000 groups.
# Environment: BENCH_RELOAD_GROUPS (default "10000 100000"),
# BENCH_RELOAD_KINDS (default "seed shunt").

set -u
[ -n "${1:-}" ] && [ -x "$1/spigrpd" ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/reload.sh: needs root" >&2; exit 77; }
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
NS=spgbench-$$
W=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-bench.XXXXXX") || exit 1
pid=

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	grep -q " $W/net " /proc/mounts && umount -l "$W/net"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# a fresh namespace with the local address of bench/gen.py's groups (on a
# veth pair: this kernel may have no dummy devices)
ns_up() {
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" || exit 1
	ip -n "$NS" link set lo up
	ip -n "$NS" link add b0 type veth peer name b1 || exit 1
	ip -n "$NS" addr add 192.168.2.100/24 dev b0
	ip -n "$NS" link set b0 up
	ip -n "$NS" link set b1 up
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# conf KIND N FILE
conf() {
	case $1 in
	seed)
		"$PY" "$SRC/bench/gen.py" "$2" "$W/gen.conf" /dev/null || exit 1
		;;
	shunt)
		awk -v n="$2" 'BEGIN {
			printf "[daemon]\ndatapath = kernel\ninstall-routes = no\n"
			for (i = 0; i < n; i++)
				printf "\n[group p%d]\nsaid = %%pass\nsrc-ts = 10.1.0.1/32\ndst-ts = 10.%d.%d.%d/32\n",
					i, 128 + int(i / 65536), int(i / 256) % 256, i % 256
		}' > "$W/gen.conf"
		;;
	esac
	awk -v d="$W" '{ print }
		/^\[daemon\]/ && !done { print "mount = " d "/net"; print "control = " d "/ctl";
			print "state-dir = " d "/state"; print "keep-on-exit = yes"; done = 1 }' \
		"$W/gen.conf" > "$3"
	chmod 600 "$3"
	rm -f "$W/gen.conf"
}

# wait_log PATTERN COUNT: until the log has COUNT such lines (or the
# daemon died: exit)
wait_log() {
	while [ "$(grep -c "$1" "$W/log")" -lt "$2" ]; do
		kill -0 "$pid" 2>/dev/null || { tail -n 3 "$W/log"; echo "spigrpd died" >&2; exit 1; }
		sleep 0.02
	done
}

printf '%-7s %7s %9s %9s %8s %10s\n' kind groups "start s" "SIGHUP s" ratio "RSS MiB"
for n in ${BENCH_RELOAD_GROUPS:-10000 100000}; do
	for kind in ${BENCH_RELOAD_KINDS:-seed shunt}; do
		conf "$kind" "$n" "$W/spigrpd.conf"
		rm -rf "$W/state"
		ns_up
		: > "$W/log"
		t0=$(now)
		nsenter --net="/run/netns/$NS" "$BUILD/spigrpd" -f -c "$W/spigrpd.conf" >> "$W/log" 2>&1 &
		pid=$!
		wait_log 'running:' 1
		t1=$(now)
		kill -HUP "$pid"
		wait_log 'reloaded ' 1
		t2=$(now)
		rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
		pid=
		s=$(secs "$t0" "$t1")
		h=$(secs "$t1" "$t2")
		printf '%-7s %7d %9s %9s %8s %10s\n' "$kind" "$n" "$s" "$h" \
			"$(awk -v a="$h" -v b="$s" 'BEGIN { printf "%.2f", a / b }')" "$rss"
	done
done
