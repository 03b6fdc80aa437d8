#!/bin/sh
# SIGTERM: the daemon removes every XFRM object of its own (and with the
# tunnel COMP states gone the kernel drops its IPIP / IPv6 tunnel states),
# unmounts the view and exits 0; foreign states and policies added with
# `ip xfrm` beforehand are untouched, the other end's daemon too.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
# foreign objects: a state between the same hosts, one with a reqid inside
# our band's neighbourhood but not in it, an out and an in policy
ns left ip xfrm state add src 192.168.2.100 dst 192.168.2.110 proto esp spi 0x1001 \
	reqid 7 mode tunnel enc 'cbc(aes)' 0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
	auth-trunc 'hmac(sha256)' 0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 128 ||
	fail "cannot add foreign state 1"
ns left ip xfrm state add src 192.168.2.110 dst 192.168.2.100 proto ah spi 0x1002 \
	reqid 0x533fffff mode transport auth-trunc 'hmac(sha1)' 0xcccccccccccccccccccccccccccccccccccccccc 96 ||
	fail "cannot add foreign state 2"
ns left ip xfrm policy add src 10.9.1.0/24 dst 10.9.2.0/24 dir out priority 500 \
	tmpl src 192.168.2.100 dst 192.168.2.110 proto esp reqid 7 mode tunnel ||
	fail "cannot add foreign policy 1"
ns left ip xfrm policy add src 10.9.2.0/24 dst 10.9.1.0/24 dir in priority 500 action block ||
	fail "cannot add foreign policy 2"
foreign() {
	{ xstates left; xpolicies left; } | grep -v -E 'reqid [0-9]+\(0x534[0-9a-f]{5}\)' |
		grep -v -E ' ; proto (4|41) spi .* reqid 0\(0x00000000\) ' |
		sed 's/ ; lifetime current: .*//' | sort
}
foreign > "$T/foreign.before"
cat "$T/foreign.before"
[ "$(wc -l < "$T/foreign.before")" -eq 4 ] || fail "expected 4 foreign objects before the start"

mkconf left
mkconf right
daemon_start left
daemon_start right
# left's view: our 4 groups, then the foreign ones (ipsec_spigrp(5)): the
# tunnel state with its out policy, the AH state without a policy (in the
# order the daemon first saw them: here the start-up dump's)
daemon_wait left 6
daemon_wait right 4
{ seed_view; printf '%s \n' 'ah.1002@192.168.2.100' 'tun.1001@192.168.2.110 esp.1001@192.168.2.110'; } > "$T/want"
{ head -n 4 "$(view_of left)"; tail -n +5 "$(view_of left)" | sort; } | cmp "$T/want" - ||
	fail "left's view is not ours then the foreign groups: $(cat "$(view_of left)" | tr '\n' '|')"
n=$(xstates left | ours | wc -l)
[ "$n" -eq 12 ] || fail "$n states of ours while running, expected 12"

step "SIGTERM"
daemon_stop left TERM
rc=$?
cat "$T/left.log"
[ "$rc" -eq 0 ] || fail "spigrpd exited with status $rc on SIGTERM"

xstates left > "$T/states.after"
xpolicies left > "$T/policies.after"
n=$(ours < "$T/states.after" | wc -l)
[ "$n" -eq 0 ] || fail "$n states of ours left after SIGTERM: $(ours < "$T/states.after" | head -n 1 | cut -c1-120)"
n=$(ours < "$T/policies.after" | wc -l)
[ "$n" -eq 0 ] || fail "$n policies of ours left after SIGTERM: $(ours < "$T/policies.after" | head -n 1 | cut -c1-120)"
grep -q -E ' ; proto (4|41) spi .* reqid 0\(0x00000000\) ' "$T/states.after" &&
	fail "the kernel's tunnel states are still there: a COMP state was not removed"
foreign > "$T/foreign.after"
cmp "$T/foreign.before" "$T/foreign.after" ||
	fail "foreign objects changed: $(diff "$T/foreign.before" "$T/foreign.after" | grep '^[<>]' | head -n 2 | cut -c1-200 | tr '\n' ' ')"
grep -q " $(side_dir left)/net " /proc/mounts && fail "the view is still mounted after SIGTERM"

step "the other end is untouched"
n=$(xstates right | ours | wc -l)
[ "$n" -eq 12 ] || fail "right: $n states of ours, expected 12"
seed_view | cmp - "$(view_of right)" || fail "right's view changed"
exit 0
