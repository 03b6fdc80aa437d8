#!/bin/sh
# Foreign objects (issue 7, part 5): the kernel mirror and the view under
# load from someone else's `ip xfrm`, in the UML kernel, with a spigrpd
# that has no group of its own.
#  - Event load: BENCH_FOREIGN_STATES (default 10,000) ESP states added by
#    one `ip -batch`, then deleted by another, while a reader cats
#    ipsec_spi in a loop: the view after each is exact (every SAID once,
#    nothing else; then empty), the time from the batch's start to the
#    exact view, the daemon's CPU seconds (utime + stime) and peak RSS
#    (VmHWM), the reader's reads, the daemon's re-dumps (lost events).
#  - View latency: BENCH_LAT_CHANGES (default 1,000) `xfrm state add`s,
#    one at a time through one `ip -batch -` (bench/viewlat.py), each
#    timed from the command's write to its line in ipsec_spigrp (polled
#    every 0.5 ms), and from the kernel's event (what the kernel spends
#    adding an ESP state left out), then as many deletes: median, p99
#    (goal < 50 ms), max.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/bench/lib.sh"

N=${BENCH_FOREIGN_STATES:-10000}
L=${BENCH_LAT_CHANGES:-1000}
KE=0x11111111111111111111111111111111
KA=0x2222222222222222222222222222222222222222222222222222222222222222

# cpu PID: utime + stime in seconds
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}

bench_ns fe
printf '[daemon]\n' > "$T/empty.conf"
mkconf fe "$T/empty.conf"
daemon_start fe
pid=$(daemon_pid fe)
i=0
until grep -q 'notice: running:' "$T/fe.log"; do
	kill -0 "$pid" 2>/dev/null || { tail -n 5 "$T/fe.log"; fail "spigrpd exited"; }
	i=$((i + 1))
	[ $i -lt 300 ] || fail "spigrpd did not start"
	sleep 0.1
done
V=$(side_dir fe)/net

step "generate $N states"
awk -v n="$N" -v ke="$KE" -v ka="$KA" 'BEGIN {
	for (i = 0; i < n; i++) {
		spi = 268435456 + i
		printf "xfrm state add src 192.168.2.100 dst 192.168.2.110 proto esp spi 0x%x reqid 7 mode transport enc cbc(aes) %s auth-trunc hmac(sha256) %s 128\n", spi, ke, ka > "/dev/stderr"
		printf "xfrm state delete src 192.168.2.100 dst 192.168.2.110 proto esp spi 0x%x\n", spi
		printf "esp.%x@192.168.2.110 \n", spi > "'"$T/want"'"
	}
}' 2> "$T/add.batch" > "$T/del.batch"
sort "$T/want" > "$T/want.sorted"

# the reader: cat ipsec_spi until told to stop, counting its reads
reader() {
	_n=0
	while [ ! -f "$T/stop" ]; do
		cat "$V/ipsec_spi" > /dev/null || echo "read failed" >> "$T/reader.err"
		_n=$((_n + 1))
	done
	echo "$_n" > "$T/reads"
}
# converge WANTFILE: until ipsec_spigrp, sorted, is WANTFILE (300 s)
converge() {
	_i=0
	while :; do
		sort "$V/ipsec_spigrp" > "$T/view.sorted"
		cmp -s "$1" "$T/view.sorted" && return 0
		_i=$((_i + 1))
		if [ $_i -ge 3000 ]; then
			info "view: $(wc -l < "$T/view.sorted") lines; want $(wc -l < "$1")"
			fail "the view did not converge in 300 s"
		fi
		sleep 0.1
	done
}

step "event load: $N adds, then $N deletes, while reading ipsec_spi"
rm -f "$T/stop"
reader &
rpid=$!
c0=$(cpu "$pid")
t0=$(now)
ns fe ip -batch "$T/add.batch" || fail "ip -batch (adds) failed"
t1=$(now)
converge "$T/want.sorted"
t2=$(now)
[ "$(grep -c . "$V/ipsec_spi")" -eq "$N" ] || fail "ipsec_spi has $(grep -c . "$V/ipsec_spi") lines, expected $N"
c1=$(cpu "$pid")
for _t in /proc/$pid/task/*/stat; do
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "# thread: user %.2f s, system %.2f s\n", $12 / hz, $13 / hz }' "$_t"
done
: > "$T/empty"
t3=$(now)
ns fe ip -batch "$T/del.batch" || fail "ip -batch (deletes) failed"
t4=$(now)
converge "$T/empty"
t5=$(now)
[ ! -s "$V/ipsec_spi" ] || fail "ipsec_spi not empty after the deletes"
c2=$(cpu "$pid")
touch "$T/stop"
wait "$rpid"
[ ! -s "$T/reader.err" ] || fail "a read of ipsec_spi failed during the load"
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
redumps=$(grep -c -i -E 're-?dump|overrun|ENOBUFS' "$T/fe.log")
info "adds: batch $(secs "$t0" "$t1") s, exact view after $(secs "$t0" "$t2") s, CPU $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') s"
info "deletes: batch $(secs "$t3" "$t4") s, empty view after $(secs "$t3" "$t5") s, CPU $(awk -v a="$c1" -v b="$c2" 'BEGIN { print b - a }') s"
grep -i -E 're-?dump|overrun|ENOBUFS' "$T/fe.log" | head -n 3

fig "foreign states: $N added, then deleted (ip -batch)" "" "while cat ipsec_spi loops ($(cat "$T/reads") reads)"
fig "  adds: ip -batch / view exact after" "$(secs "$t0" "$t1") s" "$(secs "$t0" "$t2") s from the batch's start"
fig "  deletes: ip -batch / view empty after" "$(secs "$t3" "$t4") s" "$(secs "$t3" "$t5") s"
fig "  spigrpd CPU, adds / deletes" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f s", b - a }')" "$(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.2f s", b - a }')"
fig "  spigrpd peak RSS (VmHWM) / RSS at the end" "$hwm kB" "$rss kB"
fig "  re-dumps after lost events (log lines)" "$redumps"

step "view latency: $L adds and $L deletes, one at a time"
nsenter --net=/run/netns/fe "$PY" "$SRC/bench/viewlat.py" "$V/ipsec_spigrp" "$L" > "$T/lat" ||
	fail "viewlat.py failed"
cat "$T/lat"
set -- $(awk '$1 == "add" { print $2, $3, $4 }' "$T/lat")
fig "view latency, $L ESP state adds (ms)" "median $1" "p99 $2, max $3 (goal p99 < 50)"
set -- $(awk '$1 == "add-event" { print $2, $3, $4 }' "$T/lat")
fig "  the same from the kernel's NEWSA event" "median $1" "p99 $2, max $3"
set -- $(awk '$1 == "del" { print $2, $3, $4 }' "$T/lat")
fig "view latency, $L state deletes (ms)" "median $1" "p99 $2, max $3"
set -- $(awk '$1 == "del-event" { print $2, $3, $4 }' "$T/lat")
fig "  the same from the kernel's DELSA event" "median $1" "p99 $2, max $3"
daemon_stop fe TERM
cp "$T/fe.log" "$UMLT_OUT/$CASE.daemon.log"
exit 0
