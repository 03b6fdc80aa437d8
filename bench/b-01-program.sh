#!/bin/sh
# Programming N groups (BENCH_GROUPS, default 10,000) of the seed's shape
# (tunnel comp+esp+ah; out policy, or in + fwd), in the UML kernel:
# spigrpd from its start to the complete view, side by side with
# `ip -batch` adding the same objects, in the same boot, each in a fresh
# network namespace.  Then the same again with an nlmon device capturing the
# namespace's netlink traffic, to count the requests each one sends (a
# separate run: the capture costs time).  Also the daemon's memory.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/bench/lib.sh"

N=${BENCH_GROUPS:-10000}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

# nlmon_start NAME FILE / nlmon_stop: capture NAME's netlink traffic (a
# big ring: the daemon's bursts must not be dropped; nl_check verifies)
nlmon_start() {
	ns "$1" ip link add nlmon0 type nlmon || fail "no nlmon device"
	ns "$1" ip link set nlmon0 up
	nsenter --net="/run/netns/$1" dumpcap -q -P -B 512 -i nlmon0 -w "$2" \
		> "$T/nlmon.log" 2>&1 &
	_nlpid=$!
	_nlfile=$2
	_i=0
	while [ ! -s "$2" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$2" ] || fail "dumpcap on nlmon did not start: $(cat "$T/nlmon.log")"
}
nlmon_stop() {
	# dumpcap drains its ring behind a fast sender: wait until the file
	# stops growing (SIGTERM would drop what is still in the ring)
	_s0=-1
	_i=0
	while [ $_i -lt 300 ]; do
		sleep 1
		_s1=$(wc -c < "$_nlfile")
		[ "$_s1" -eq "$_s0" ] && break
		_s0=$_s1
		_i=$((_i + 1))
	done
	kill -TERM "$_nlpid"
	wait "$_nlpid" 2>/dev/null
}
# nl_check COUNTS WHO: a capture that lost messages is no count: every
# object is one NEWSA or NEWPOLICY request, at least
nl_check() {
	_sa=$(awk '$1 == "xfrm" && $2 == "NEWSA" { print $3 }' "$1")
	_sp=$(awk '$1 == "xfrm" && $2 == "NEWPOLICY" { print $3 }' "$1")
	[ "${_sa:-0}" -ge $((3 * N)) ] && [ "${_sp:-0}" -ge $((3 * N / 2)) ] ||
		fail "$2: the nlmon capture lost messages (NEWSA ${_sa:-0} of $((3 * N)), NEWPOLICY ${_sp:-0} of $((3 * N / 2)))"
}

sad_count() {
	ns "$1" ip xfrm state count | awk '{ print $NF }'
}
spd_count() {
	ns "$1" ip xfrm policy count | awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i; print n }'
}

# run_batch NAME [PCAP]: ip -batch into a fresh namespace; prints seconds
run_batch() {
	bench_ns "$1"
	[ -n "${2:-}" ] && nlmon_start "$1" "$2"
	_t0=$(now)
	ns "$1" ip -batch "$T/batch" > "$T/batch.out" 2>&1 ||
		fail "ip -batch failed: $(head -n 3 "$T/batch.out")"
	_t1=$(now)
	[ -n "${2:-}" ] && nlmon_stop
	secs "$_t0" "$_t1" > "$T/$1.secs"
	echo "$(sad_count "$1") $(spd_count "$1")" > "$T/$1.counts"
}

# run_daemon SIDE CONF [PCAP]: spigrpd in a fresh namespace, from start to
# "running" (logged after every group is installed and the view published)
run_daemon() {
	bench_ns "$1"
	mkconf "$1" "$2"
	[ -n "${3:-}" ] && nlmon_start "$1" "$3"
	_t0=$(now)
	daemon_start "$1"
	_pid=$(daemon_pid "$1")
	until grep -q 'notice: running:' "$T/$1.log"; do
		kill -0 "$_pid" 2>/dev/null || { tail -n 5 "$T/$1.log"; fail "spigrpd exited"; }
		sleep 0.05
	done
	_t1=$(now)
	[ -n "${3:-}" ] && nlmon_stop
	secs "$_t0" "$_t1" > "$T/$1.secs"
	echo "$(sad_count "$1") $(spd_count "$1")" > "$T/$1.counts"
	awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r, h }' "/proc/$_pid/status" > "$T/$1.mem"
}

step "generate $N groups"
"$PY" "$SRC/bench/gen.py" "$N" "$T/gen.conf" "$T/batch" "$T/view.want" || fail "gen.py"
"$PY" "$SRC/bench/gen.py" 1 "$T/one.conf" /dev/null /dev/null || fail "gen.py"
info "config $(wc -c < "$T/gen.conf") bytes, batch $(wc -l < "$T/batch") lines"

step "baseline: spigrpd with 1 group"
run_daemon b1 "$T/one.conf"
rss1=$(awk '{ print $1 }' "$T/b1.mem")
daemon_stop b1
ip netns delete b1

step "timed: ip -batch, $N groups"
run_batch pb
info "ip -batch: $(cat "$T/pb.secs") s, SAD/SPD $(cat "$T/pb.counts")"
ip netns delete pb

step "timed: spigrpd, $N groups"
run_daemon bd "$T/gen.conf"
info "spigrpd: $(cat "$T/bd.secs") s, SAD/SPD $(cat "$T/bd.counts"), VmRSS/VmHWM kB $(cat "$T/bd.mem")"
tail -n 3 "$T/bd.log"
[ "$(cat "$T/bd.counts")" = "$(cat "$T/pb.counts")" ] ||
	fail "spigrpd made $(cat "$T/bd.counts") SAD/SPD entries, ip -batch $(cat "$T/pb.counts")"
cat "$(view_of bd)" > "$T/view.got"
cmp -s "$T/view.want" "$T/view.got" ||
	fail "the view is not the $N generated lines ($(wc -l < "$T/view.got") lines)"
t0=$(now)
daemon_stop bd TERM || fail "spigrpd did not stop cleanly"
t1=$(now)
stop_secs=$(secs "$t0" "$t1")
left=$(sad_count bd)
[ "$left" -eq 0 ] || fail "$left states left after SIGTERM"
ip netns delete bd

step "counted: ip -batch and spigrpd with nlmon"
run_batch pbc "$T/pb.pcap"
"$PY" "$SRC/bench/nlcount.py" "$T/pb.pcap" > "$T/pb.nl" || fail "nlcount"
cat "$T/nlmon.log" "$T/pb.nl"
nl_check "$T/pb.nl" ip
ip netns delete pbc
rm -f "$T/pb.pcap"
run_daemon bdc "$T/gen.conf" "$T/bd.pcap"
"$PY" "$SRC/bench/nlcount.py" "$T/bd.pcap" > "$T/bd.nl" || fail "nlcount"
cat "$T/nlmon.log" "$T/bd.nl"
nl_check "$T/bd.nl" spigrpd
daemon_stop bdc TERM
ip netns delete bdc
rm -f "$T/bd.pcap"

tb=$(cat "$T/pb.secs")
td=$(cat "$T/bd.secs")
set -- $(cat "$T/bd.mem")
rss=$1
hwm=$2
nsa=$((3 * N))
fig "programming $N groups (comp+esp+ah, tunnel):" "" "$(cat "$T/bd.counts" | awk '{print $1 " SAD entries, " $2 " SPD entries"}')"
fig "  ip -batch" "$tb s" "$(awk '$1 == "total" { print $2 " XFRM requests" }' "$T/pb.nl")"
fig "  spigrpd, start to complete view" "$td s" "$(awk '$1 == "total" { print $2 " XFRM requests" }' "$T/bd.nl"), $(awk '$1 == "route" { n += $3 } END { print n + 0 }' "$T/bd.nl") rtnetlink"
fig "  ratio spigrpd / ip -batch (goal <= 1)" "$(ratio "$td" "$tb")"
fig "  spigrpd SIGTERM, removing everything" "$stop_secs s"
fig "spigrpd memory with $N groups ($nsa SAs):" "" "VmRSS $rss kB, VmHWM $hwm kB, 1 group: $rss1 kB"
fig "  RSS per SA, total (goal <= 1024)" "$(awk -v r="$rss" -v n="$nsa" 'BEGIN { printf "%.0f B", r * 1024 / n }')"
fig "  RSS per SA, above the 1-group baseline" "$(awk -v r="$rss" -v b="$rss1" -v n="$nsa" 'BEGIN { printf "%.0f B", (r - b) * 1024 / (n - 3) }')"
exit 0
