#!/bin/sh
# kill -9 and restart during traffic (issue 8): the KLIPS link of t-22
# (klips.sh: both hosts' scripts through libreswan's ipsec, kernel
# placement) carries a ping -i 0.2 from left's inner subnet to right's when
# left's spigrpd is killed with SIGKILL and started again.  Then:
#  - the runtime groups and the eroute are back in the view, read from
#    state-dir/runtime (unchanged by the restart), and `ipsec look` joins
#    them as before;
#  - the kernel's objects were adopted, not made again: the same states
#    (SPI, reqid, add time, and a sequence number that went on counting) and
#    the same policies (index);
#  - the pings went on: at most one lost, the last ones answered; the
#    kernel counts no replay and no integrity failure on either side;
#  - the restarted daemon owns them: SIGTERM removes them, the foreign
#    state stays.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/tests/uml/klips.sh"

# kobjs SIDE: our states as "SPI reqid add-time" and policies as "dir
# selector index", one a line, sorted (what adoption must keep)
kobjs() {
	{
		xstates "$1" | ours | sed -n 's/.* proto esp spi \(0x[0-9a-f]*\)(.* reqid \([0-9]*\)(.*; add \([0-9-]* [0-9:]*\) .*/state \1 \2 \3/p'
		xpolicies "$1" | ours | sed -n 's/^src \([^ ]*\) dst \([^ ]*\) .*; dir \([a-z]*\) .* index \([0-9]*\) .*/policy \3 \1 \2 \4/p'
	} | sort
}

# oseq SIDE SPI: the outbound sequence number of that state of SIDE's
oseq() {
	ns "$1" ip -s xfrm state | awk -v spi="$(printf '0x%08x' "$2")" '
		$1 == "proto" { hit = ($4 ~ "^" spi "\\(") }
		hit && /oseq 0x/ { sub(/.*oseq /, ""); sub(/[ ,].*/, ""); print; exit }'
}

step "the KLIPS link of t-22"
klips_link_up
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "no traffic through the link before the restart"
for side in left right; do
	kobjs "$side" > "$T/$side.kobjs.before"
	[ "$(grep -c '^state ' "$T/$side.kobjs.before")" = 2 ] && [ "$(grep -c '^policy ' "$T/$side.kobjs.before")" = 3 ] ||
		{ cat "$T/$side.kobjs.before"; fail "$side: not 2 states and 3 policies of ours before the restart"; }
done
cp "$(side_dir left)/state/runtime" "$T/runtime.before"
[ "$(stat -c %a "$T/runtime.before")" = 600 ] || fail "state-dir/runtime is not mode 0600"
[ "$(grep -c '^[a-z]' "$T/runtime.before")" -ge 7 ] || fail "state-dir/runtime holds fewer than 7 command lines"

step "ping -i 0.2 left -> right; left's spigrpd killed (SIGKILL) after 2 s and started again"
ns left ping -c 40 -i 0.2 -W 2 -I 10.0.1.1 10.0.2.1 > "$T/ping.out" 2>&1 &
ppid=$!
sleep 2
seq0=$(oseq left 0x1001)
kill -KILL "$(daemon_pid left)"
wait "$(daemon_pid left)" 2>/dev/null
rm -f "$T/left.pid"
t0=$(date +%s.%N)
sleep 1
daemon_start left
daemon_wait left 3
info "left restarted in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f s", b - a }') (1 s of it dead)"
klips_view_wait left
wait "$ppid"
cat "$T/ping.out" | tail -n 2
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/ping.out")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T/ping.out")
info "pings: $sent sent, $got answered; left's esp 0x1001 sequence number $seq0 at the kill, $(oseq left 0x1001) now"
[ "${sent:-0}" = 40 ] && [ "${got:-0}" -ge 39 ] || fail "pings during the restart: ${got:-?} of ${sent:-?} answered"
for n in 38 39 40; do
	grep -q "icmp_seq=$n " "$T/ping.out" || fail "ping $n (after the restart) got no answer"
done

step "the runtime objects are kept and adopted"
cmp -s "$T/runtime.before" "$(side_dir left)/state/runtime" || fail "the restart changed state-dir/runtime"
for side in left right; do
	kobjs "$side" > "$T/$side.kobjs.after"
	cmp -s "$T/$side.kobjs.before" "$T/$side.kobjs.after" ||
		fail "$side: the kernel's objects of ours changed (made again, not adopted): $(diff "$T/$side.kobjs.before" "$T/$side.kobjs.after" | grep '^[<>]' | head -n 2 | tr '\n' ' ')"
	foreign_intact "$side" "after the restart"
done
[ "$(oseq left 0x1001)" != "$seq0" ] && [ "$(printf '%d' "$(oseq left 0x1001)")" -gt "$(printf '%d' "$seq0")" ] ||
	fail "left's esp 0x1001 sequence number did not go on from $seq0: $(oseq left 0x1001)"
ipsec_on left look > "$T/left.look" || fail "ipsec look failed after the restart"
grep -Eq '^10\.0\.1\.0/24 +-> 10\.0\.2\.0/24 +=> tun0x1001@192\.168\.2\.110 esp0x1001@192\.168\.2\.110  \([0-9]+\)$' "$T/left.look" ||
	{ cat "$T/left.look"; fail "ipsec look after the restart does not join the eroute with its group"; }
for side in left right; do
	klips_side_vars "$side"
	set -- $(kstate "$side" "$PEER" "$ME" esp "$(printf '0x%08x' "$IN")")
	info "$side: inbound esp $IN: packets ${1:-?} failed ${2:-?} replay ${3:-?}"
	[ "${1:-0}" -ge 40 ] && [ "$2" = 0 ] && [ "$3" = 0 ] ||
		fail "$side: the kernel's inbound esp $IN after the restart: packets ${1:-?}, failed ${2:-?}, replay ${3:-?}"
	errs=$(xfrm_errors "$side")
	[ -z "$errs" ] || fail "$side: /proc/net/xfrm_stat: $(echo "$errs" | tr '\n' ' ')"
done
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "no traffic after the restart"

step "the restarted daemon owns them: SIGTERM removes them"
daemon_stop left TERM || fail "left's spigrpd exited with status $? on SIGTERM"
n=$(xstates left | ours | wc -l)
[ "$n" = 0 ] || fail "left: $n states of ours left after SIGTERM"
n=$(xpolicies left | ours | wc -l)
[ "$n" = 0 ] || fail "left: $n policies of ours left after SIGTERM"
foreign_intact left "after SIGTERM"
exit 0
