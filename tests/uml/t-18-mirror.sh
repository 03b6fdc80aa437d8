#!/bin/sh
# The view follows the kernel: states and policies added, replaced and
# deleted by hand with `ip xfrm` while spigrpd runs show in ipsec_spigrp,
# ipsec_spi and ipsec_eroute as `ip xfrm` shows them (each change polled
# for up to 5 s; no timing assertion); a flush loses our groups and empties
# the view; with the event socket's buffer shrunk (the test-only
# SPIGRPD_TEST_EVENT_RCVBUF) and the daemon stopped (SIGSTOP) while 2,000
# states are added, the view converges after SIGCONT (the overrun path:
# a new dump).
. "$UMLT_SRC/tests/uml/lib.sh"

K=0x000102030405060708090a0b0c0d0e0f
A=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f

topo_up
mkconf left
D=$(side_dir left)/net

# xs ARGS...: `ip xfrm state ARGS` in left, the test fails when it does.
xs() {
	ns left ip xfrm state "$@" || fail "ip xfrm state $*"
}
xp() {
	ns left ip xfrm policy "$@" || fail "ip xfrm policy $*"
}
# esp SPI DST MODE [more]: an ESP state 192.0.2.1 -> DST, reqid 0.
esp() {
	_spi=$1 _dst=$2 _mode=$3
	shift 3
	xs add src 192.0.2.1 dst "$_dst" proto esp spi "$_spi" reqid 0 mode "$_mode" \
		replay-window 32 enc 'cbc(aes)' $K auth-trunc 'hmac(sha256)' $A 128 "$@"
}

# foreign_lines: the view's ipsec_spigrp lines that are not the seed's
# (sorted).
foreign_lines() {
	seed_view > "$T/ours.lines"
	grep -v -x -F -f "$T/ours.lines" "$D/ipsec_spigrp" | sort
}

# kernel_lines: what the view must show for the foreign states that no
# policy uses, from `ip xfrm state`: "tun.SPI@DST esp.SPI@DST " for a
# tunnel-mode state, "esp.SPI@DST " for a transport one (SPI in lower-case
# hex without leading zeros).  Ours (reqid 0x534.....) are left out.
kernel_lines() {
	xstates left | grep -v -E 'reqid [0-9]+\(0x534[0-9a-f]{5}\)' |
		grep -E ' ; proto esp spi ' | awk '
		{
			dst = $4
			match($0, /spi 0x[0-9a-f]+/)
			spi = substr($0, RSTART + 6, RLENGTH - 6)
			sub(/^0+/, "", spi)
			s = "esp." spi "@" dst " "
			if ($0 ~ / mode tunnel /)
				s = "tun." spi "@" dst " " s
			print s
		}' | sort
}

# converge WHAT WANTFILE: poll (5 s) until foreign_lines equals WANTFILE.
converge() {
	_i=0
	while :; do
		foreign_lines > "$T/got" 2>/dev/null
		cmp -s "$2" "$T/got" && return 0
		_i=$((_i + 1))
		if [ $_i -ge 50 ]; then
			info "want:"; head -n 5 "$2"; info "got:"; head -n 5 "$T/got"
			fail "$1: the view did not converge in 5 s ($(wc -l < "$T/got") lines, want $(wc -l < "$2"))"
		fi
		sleep 0.1
	done
}

# wait_grep WHAT FILE REGEX [absent]: poll (5 s) until FILE of the view has
# (or, with "absent", no longer has) a line matching REGEX.
wait_grep() {
	_i=0
	while :; do
		if grep -q -E "$3" "$D/$2"; then
			[ "${4:-}" != absent ] && return 0
		else
			[ "${4:-}" = absent ] && return 0
		fi
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { cat "$D/$2" | head -n 20; fail "$1: $2 did not follow in 5 s"; }
		sleep 0.1
	done
}

# our seed groups: the left end holds the outbound seed4/seed6 and the
# inbound reverse groups; the right daemon is not needed
daemon_start left
daemon_wait left 4

step "a state added by hand, no policy: a line of its own"
esp 0x2001 192.0.2.2 tunnel
kernel_lines > "$T/want"
[ "$(wc -l < "$T/want")" -eq 1 ] || fail "expected one foreign state in ip xfrm"
converge "state add" "$T/want"
wait_grep "state add" ipsec_spi '^tun\.2001@192\.0\.2\.2 '
wait_grep "state add" ipsec_spi '^esp\.2001@192\.0\.2\.2 .* src=192\.0\.2\.1 .*eklen=128'

step "a transport state"
esp 0x2002 192.0.2.2 transport
kernel_lines > "$T/want"
converge "second state" "$T/want"

step "a policy leads to the tunnel state: its eroute and direction"
xp add src 10.50.1.0/24 dst 10.50.2.0/24 dir out priority 600 \
	tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel
wait_grep "policy add" ipsec_eroute '10\.50\.1\.0/24 +-> 10\.50\.2\.0/24 +=> tun\.2001@192\.0\.2\.2$'
wait_grep "policy add" ipsec_spi '^esp\.2001@192\.0\.2\.2 [^ ]*: dir=out'
converge "policy add" "$T/want" # the same lines: the group is the state

step "a template-less block: an eroute, no spigrp line"
xp add src 10.51.0.0/16 dst 10.52.0.0/16 dir out priority 1500000 action block
wait_grep "block" ipsec_eroute '10\.51\.0\.0/16 +-> 10\.52\.0\.0/16 +=> %drop$'
converge "block" "$T/want"

# XFRM updates a valid state's lifetimes, not its keys (xfrm_state_update());
# the UPDSA event carries the request: the view follows the kernel
step "the state is updated: its SA shows the new hard limit and the kept keys' length"
xs update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2002 reqid 0 mode transport \
	replay-window 32 enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f1011121314151617 \
	auth-trunc 'hmac(sha256)' $A 128 limit time-hard 3600
ns left ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2002 |
	grep -q 'enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f$' ||
	fail "the kernel took the new key of a valid state: see t-18's note"
wait_grep "state update" ipsec_spi '^esp\.2002@192\.0\.2\.2 .*eklen=128 life\(c,s,h\)=addtime\([0-9]*,0,3600\)'

step "a state deleted"
xs delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2002
kernel_lines > "$T/want"
converge "state delete" "$T/want"
wait_grep "state delete" ipsec_spi '^esp\.2002@' absent

step "the policy deleted: its eroute goes, the state stays"
xp delete src 10.50.1.0/24 dst 10.50.2.0/24 dir out
wait_grep "policy delete" ipsec_eroute '10\.50\.1\.0/24' absent
converge "policy delete" "$T/want"

step "our groups never show twice, foreign ones never replace them"
n=$(grep -c -E '^(tun|comp|esp|ah)' "$D/ipsec_spigrp")
[ "$n" -eq 5 ] || fail "$n lines in ipsec_spigrp, expected 4 of ours and 1 foreign"

step "ip xfrm state flush: every state goes; our groups are lost"
xs flush
: > "$T/want"
converge "state flush" "$T/want"
_i=0
while [ -s "$D/ipsec_spigrp" ] && [ $_i -lt 50 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
[ -s "$D/ipsec_spigrp" ] && fail "ipsec_spigrp not empty after a flush: $(head -n 2 "$D/ipsec_spigrp")"
grep -q 'lost\|LOST\|behind our back\|flushed' "$T/left.log" || fail "no group lost in the log"
wait_grep "state flush" ipsec_eroute '10\.51\.0\.0/16 +-> 10\.52\.0\.0/16 +=> %drop$'
xp flush
wait_grep "policy flush" ipsec_eroute '%drop' absent
daemon_stop left || fail "the daemon did not stop"

# ---- the overrun path ----
step "overrun: a small event buffer, SIGSTOP, 2000 states, SIGCONT"
SPIGRPD_TEST_EVENT_RCVBUF=4096
export SPIGRPD_TEST_EVENT_RCVBUF
daemon_start left
unset SPIGRPD_TEST_EVENT_RCVBUF
daemon_wait left 4
grep -q 'SPIGRPD_TEST_EVENT_RCVBUF' "$T/left.log" || fail "the test knob was not taken"
esp_batch 2000 192.0.2.3 > "$T/add.batch"
kill -STOP "$(daemon_pid left)"
ns left ip -batch "$T/add.batch" || { kill -CONT "$(daemon_pid left)"; fail "ip -batch add"; }
kill -CONT "$(daemon_pid left)"
kernel_lines > "$T/want"
[ "$(wc -l < "$T/want")" -eq 2000 ] || fail "expected 2000 foreign states in ip xfrm"
converge "overrun" "$T/want"
grep -q 'event socket overrun' "$T/left.log" || fail "no overrun logged: the path was not taken"
[ "$(grep -c -E '^(tun|comp|esp|ah)' "$D/ipsec_spigrp")" -eq 2004 ] || fail "ours missing after the overrun"

step "and 2000 deleted while it runs"
sed 's/^xfrm state add \(.*\) proto esp spi \([^ ]*\) .*/xfrm state delete \1 proto esp spi \2/' \
	"$T/add.batch" > "$T/del.batch"
ns left ip -batch "$T/del.batch" || fail "ip -batch delete"
: > "$T/want"
converge "2000 deleted" "$T/want"
daemon_wait left 4
daemon_stop left || fail "the daemon did not stop"
exit 0
