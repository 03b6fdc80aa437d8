#!/bin/sh
# All or nothing: a foreign state (reqid 7, other keys) pre-added with the
# SPI of esp.187a101b@192.168.2.110, and a foreign out policy with seed6's
# selector, make those two groups refused, logged with the kernel's EEXIST,
# with nothing of them left in the kernel; the foreign objects are intact;
# the two reverse groups are installed and in the view, followed by the
# foreign state (a line of its own: no policy uses it).
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
ns left ip xfrm state add src 192.168.2.100 dst 192.168.2.110 proto esp spi 0x187a101b \
	reqid 7 mode transport enc 'cbc(aes)' 0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
	auth-trunc 'hmac(sha256)' 0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 128 ||
	fail "cannot add the foreign state"
ns left ip xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir out priority 100 action block ||
	fail "cannot add the foreign policy"
foreign_state() {
	xstates left | grep -F 'proto esp spi 0x187a101b(' | grep -F ' reqid 7(0x00000007) ' |
		sed 's/ ; lifetime current: .*//'
}
foreign_policy() {
	xpolicies left | grep -E '^src fd00:1::/64 dst fd00:2::/64 .* ; dir out action block .* priority 100 ' |
		sed 's/ ; lifetime current: .*//'
}
fs0=$(foreign_state)
fp0=$(foreign_policy)
[ -n "$fs0" ] && [ -n "$fp0" ] || fail "foreign objects not found after adding them"

mkconf left
daemon_start left
daemon_wait left 3 # the reverse groups and the foreign state (ipsec_spigrp(5))
sleep 1

step "log"
cat "$T/left.log"
grep -E 'group seed4 .*EEXIST' "$T/left.log" || fail "no log line naming seed4 with EEXIST"
grep -E 'group seed6 .*EEXIST' "$T/left.log" || fail "no log line naming seed6 with EEXIST"

step "view: only the reverse groups of ours, then the foreign state"
{ seed_view | sed -n '3,4p'; echo 'esp.187a101b@192.168.2.110 '; } > "$T/want"
cat "$(view_of left)" > "$T/view" || fail "cannot read the view"
cat "$T/view"
cmp "$T/want" "$T/view" || fail "view is not exactly the two reverse groups and the foreign state"

step "nothing of seed4 or seed6 is in the kernel"
xstates left > "$T/states"
xpolicies left > "$T/policies"
left_of4=$(ours < "$T/states" | grep -F -e 'src 192.168.2.100 dst 192.168.2.110 ' -e 'src 3049:1::1 dst 3049:1::2 ')
[ -z "$left_of4" ] || fail "states of a refused group left in the kernel: $(echo "$left_of4" | head -n 1 | cut -c1-160)"
leftp=$(ours < "$T/policies" | grep -E -e '^src 10\.0\.1\.0/24 dst 10\.0\.2\.0/24 ' -e '^src fd00:1::/64 dst fd00:2::/64 ')
[ -z "$leftp" ] || fail "policies of a refused group left in the kernel: $(echo "$leftp" | head -n 1 | cut -c1-160)"
grep -q -F -e 'proto 4 spi 0xc0a80264(' "$T/states" &&
	fail "the kernel's IPIP state of seed4's COMP is still there"
n=$(ours < "$T/states" | wc -l)
[ "$n" -eq 6 ] || fail "$n states of ours, expected 6 (the reverse groups)"
n=$(ours < "$T/policies" | wc -l)
[ "$n" -eq 4 ] || fail "$n policies of ours, expected 4 (in + fwd of the reverse groups)"

step "the foreign objects are intact"
[ "$(foreign_state)" = "$fs0" ] || fail "the foreign state changed: $(foreign_state | cut -c1-200)"
[ "$(foreign_policy)" = "$fp0" ] || fail "the foreign policy changed: $(foreign_policy | cut -c1-200)"
exit 0
