#!/bin/sh
# The view with many groups (BENCH_VIEW_GROUPS, default 100,000, of the
# seed's shape, placed in the UML kernel): `cat` of ipsec_spigrp side by
# side with `cat` of the same bytes from tmpfs (goal: at most 5 times
# slower), and the daemon's memory per kernel-placed SA (goal: 1 KiB).
# Groups the daemon could not place are counted and reported.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/bench/lib.sh"

N=${BENCH_VIEW_GROUPS:-100000}
REPS=${BENCH_REPS:-11}
# median_time CMD...: the median wall time of REPS runs, in ms
median_time() {
	_i=0
	: > "$T/times"
	while [ $_i -lt "$REPS" ]; do
		_t0=$(now)
		"$@" > /dev/null || fail "$* failed"
		_t1=$(now)
		awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >> "$T/times"
		_i=$((_i + 1))
	done
	sort -n "$T/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

step "generate $N groups"
"$PY" "$SRC/bench/gen.py" "$N" "$T/gen.conf" /dev/null /dev/null || fail "gen.py"

bench_ns bv
mkconf bv "$T/gen.conf"
t0=$(now)
daemon_start bv
pid=$(daemon_pid bv)
until grep -q 'notice: running:' "$T/bv.log"; do
	kill -0 "$pid" 2>/dev/null || { tail -n 5 "$T/bv.log"; fail "spigrpd exited"; }
	sleep 0.2
done
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
grep -v ' installed (reqid ' "$T/bv.log" | sort | uniq -c | sort -rn | head -n 8 |
	cut -c1-200
# VmHWM comes before VmRSS in the status file
set -- $(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r, h }' "/proc/$pid/status")
rss=$1
hwm=$2

v=$(view_of bv)
cp "$v" "$T/view.copy" || fail "cannot read the view"
lines=$(wc -l < "$T/view.copy")
bytes=$(wc -c < "$T/view.copy")
[ "$lines" -gt 0 ] || fail "empty view"
info "installed $lines of $N groups in $secs s; view $bytes bytes; VmRSS $rss kB"
nsa=$((3 * lines))

step "cat, $REPS times each"
tv=$(median_time cat "$v")
tt=$(median_time cat "$T/view.copy")
t0=$(median_time cat /dev/null)
info "view: $tv ms, tmpfs: $tt ms, cat /dev/null: $t0 ms"
set -- $("$PY" "$SRC/bench/readtime.py" "$v" "$REPS")
rv=$1
[ "$2" -eq "$bytes" ] || fail "read $2 bytes from the view, cat read $bytes"
set -- $("$PY" "$SRC/bench/readtime.py" "$T/view.copy" "$REPS")
rt=$1
info "in one process: view $rv ms, tmpfs $rt ms"
daemon_stop bv TERM

fig "view with $N groups configured:" "" "$lines installed ($nsa SAs) in $secs s, $bytes bytes"
[ "$lines" -lt "$N" ] &&
	fig "  NOT all installed:" "$((N - lines)) groups" "$(grep -o 'refused[^:]*: .*' "$T/bv.log" | sed 's/.*refused by the kernel//' | sort | uniq -c | sort -rn | head -n 1 | cut -c1-60)"
fig "  cat ipsec_spigrp (median of $REPS)" "$tv ms"
fig "  cat of the same bytes from tmpfs" "$tt ms"
fig "  cat /dev/null (starting cat, in UML)" "$t0 ms"
fig "  ratio of the cat times (goal <= 5)" "$(awk -v a="$tv" -v b="$tt" 'BEGIN { printf "%.1f", a / b }')" "starting cat dominates in UML"
fig "  open+read(128 KiB)+close, view (median)" "$rv ms" "one process, no start-up"
fig "  the same from tmpfs" "$rt ms"
fig "  ratio of the read times (goal <= 5)" "$(awk -v a="$rv" -v b="$rt" 'BEGIN { printf "%.1f", a / b }')"
fig "  spigrpd VmRSS / VmHWM" "$rss kB" "VmHWM $hwm kB"
fig "  RSS per kernel-placed SA (goal <= 1024)" "$(awk -v r="$rss" -v n="$nsa" 'BEGIN { printf "%.0f B", r * 1024 / n }')" "all groups' memory, placed or not"
exit 0
