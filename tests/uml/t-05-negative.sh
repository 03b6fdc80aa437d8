#!/bin/sh
# Negative control: the same set-up with one bit of one key flipped on one
# end (right's copy of esp.187a101b@192.168.2.110's authentication key)
# carries no traffic through that group, and the receiving kernel counts
# the failures (the state's "failed" integrity counter and, when the kernel
# has them, /proc/net/xfrm_stat's XfrmInStateProtoError).  The other
# groups keep working: the failure is the key, not the set-up.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
awk '
	/^\[sa / { sa = $2 }
	sa == "esp.187a101b@192.168.2.110]" && $1 == "authkey" {
		sub(/0x00112233/, "0x01112233"); flipped = 1
	}
	{ print }
	END { if (!flipped) exit 1 }' "$SRC/contrib/seed.conf" > "$T/flipped.conf" ||
	fail "could not flip the key bit (seed.conf changed?)"
diff "$SRC/contrib/seed.conf" "$T/flipped.conf" | grep '^[<>]' | sed 's/0x.*/0x.../'
mkconf left
mkconf right "$T/flipped.conf"
daemon_start left
daemon_start right
daemon_wait left 4
daemon_wait right 4

failed_count() {
	# the "failed" (integrity) counter of right's esp.187a101b@192.168.2.110
	xstates right | grep -F 'src 192.168.2.100 dst 192.168.2.110 ; proto esp spi 0x187a101b(' |
		sed -n 's/.* ; replay-window [0-9]* replay [0-9]* failed \([0-9]*\).*/\1/p'
}
proto_errors() {
	ns right cat /proc/net/xfrm_stat 2>/dev/null | awk '$1 == "XfrmInStateProtoError" { print $2 }'
}
f0=$(failed_count)
p0=$(proto_errors)
info "before: integrity failures ${f0:-?}, XfrmInStateProtoError ${p0:-n/a}"
[ -n "$f0" ] || fail "cannot read the state's failed counter"

step "ping through the group with the flipped key: no reply expected"
ns left ping -c 3 -i 0.3 -W 1 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 &&
	fail "traffic passed with a flipped key bit"
f1=$(failed_count)
p1=$(proto_errors)
info "after: integrity failures ${f1:-?}, XfrmInStateProtoError ${p1:-n/a}"
[ "${f1:-0}" -ge $((f0 + 3)) ] ||
	fail "the kernel's integrity failure counter went from $f0 to ${f1:-?}, expected +3"
if [ -n "$p0" ]; then
	[ "$p1" -gt "$p0" ] || fail "XfrmInStateProtoError did not rise ($p0 -> $p1)"
fi

step "the IPv6 groups, keys intact, still work"
ns left ping -6 -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 ||
	fail "the IPv6 group (keys intact) carries no traffic either: the set-up is broken, not the key"
exit 0
