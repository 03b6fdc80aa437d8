# Helpers for bench/b-*.sh (sourced after tests/uml/lib.sh, POSIX sh):
# the figures table, wall-clock times, a namespace to measure in.

FIG=$UMLT_OUT/figures

# fig LABEL VALUE [NOTE]: one row of the figures table run.sh prints
fig() {
	printf '%-50s %14s  %s\n' "$1" "$2" "${3:-}" >> "$FIG"
}
# now: seconds since the epoch, with nanoseconds
now() {
	date +%s.%N
}
# secs T0 T1: T1 - T0 in seconds, 2 decimals
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# bench_ns NAME: a namespace with the local address on a dummy device
bench_ns() {
	ip netns add "$1" || fail "ip netns add $1"
	ns "$1" ip link set lo up
	ns "$1" ip link add d0 type dummy
	ns "$1" ip addr add 192.168.2.100/24 dev d0
	ns "$1" ip link set d0 up
}
