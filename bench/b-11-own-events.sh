#!/bin/sh
# Our own installs cost no event: N groups (BENCH_GROUPS, default 10,000,
# of gen.py's shape) installed by spigrpd whose event socket has a 4 KiB
# receive buffer (the test-only SPIGRPD_TEST_EVENT_RCVBUF): the kernel
# multicasts one NEWSA or NEWPOLICY per object to the SA and policy groups,
# and the daemon's socket filter drops them by our netlink port id, so the
# socket never overruns.  Then 2,000 foreign states from `ip -batch` beside
# the N groups: with the same small buffer they overrun it, and the view
# still converges (a new dump).  Figures: start time, overruns, the time
# to a converged view, the daemon's CPU and RSS.
. "$UMLT_SRC/tests/uml/lib.sh"

N=${BENCH_GROUPS:-10000}
FIG=$UMLT_OUT/figures

fig() {
	printf '%-50s %14s  %s\n' "$1" "$2" "${3:-}" >> "$FIG"
}
now() {
	date +%s.%N
}
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}
cpu() {
	awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"
}

"$PY" "$SRC/bench/gen.py" "$N" "$T/gen.conf" /dev/null "$T/view.want" || fail "gen.py"
ip netns add oe || fail "ip netns add"
ns oe ip link set lo up
ns oe ip link add d0 type dummy
ns oe ip addr add 192.168.2.100/24 dev d0
ns oe ip link set d0 up
mkconf oe "$T/gen.conf"

step "spigrpd installs $N groups with a 4 KiB event buffer"
SPIGRPD_TEST_EVENT_RCVBUF=4096
export SPIGRPD_TEST_EVENT_RCVBUF
t0=$(now)
daemon_start oe
unset SPIGRPD_TEST_EVENT_RCVBUF
pid=$(daemon_pid oe)
until grep -q 'notice: running:' "$T/oe.log"; do
	kill -0 "$pid" 2>/dev/null || { tail -n 5 "$T/oe.log"; fail "spigrpd exited"; }
	sleep 0.05
done
t1=$(now)
sleep 1
ov=$(grep -c 'event socket overrun' "$T/oe.log")
cat "$(view_of oe)" > "$T/view.got"
cmp -s "$T/view.want" "$T/view.got" || fail "the view is not the $N groups"
fig "own events: $N groups installed" "$(secs "$t0" "$t1") s" "4 KiB event buffer"
fig "own events: objects the kernel announced" "$((N * 3 + N * 3 / 2))" "NEWSA + NEWPOLICY"
fig "own events: event socket overruns" "$ov" "must be 0"
[ "$ov" -eq 0 ] || fail "our own installs overran the event socket ($ov times)"

step "2000 foreign states beside them: overrun, then converged"
esp_batch 2000 192.0.2.3 > "$T/add.batch"
c0=$(cpu "$pid")
t0=$(now)
ns oe ip -batch "$T/add.batch" || fail "ip -batch"
want=$((N + 2000))
until [ "$(wc -l < "$(view_of oe)")" -eq $want ]; do
	awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 60) }' &&
		fail "the view did not reach $want lines in 60 s"
	sleep 0.05
done
t1=$(now)
fig "own events: 2000 foreign states to the view" "$(secs "$t0" "$t1") s" "ip -batch start to last line"
fig "own events: daemon CPU meanwhile" "$(awk -v a="$c0" -v b="$(cpu "$pid")" 'BEGIN { printf "%.2f", b - a }') s"
fig "own events: overruns with the foreign states" "$(grep -c 'event socket overrun' "$T/oe.log")" "4 KiB buffer"
fig "own events: daemon VmHWM" "$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status") kB"
daemon_stop oe || fail "the daemon did not stop"
exit 0
