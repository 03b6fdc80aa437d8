#!/bin/sh
# SIGHUP with one group changed (seed4's ESP encryption key, on both ends):
# `ip xfrm monitor` on left sees events for seed4's objects only, none for
# the three unchanged groups; the new key is in the kernel, traffic flows
# through every group afterwards and the view keeps config order.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right

seed_key_changed "$T/changed.conf"

ns left ip xfrm monitor > "$T/monitor" 2>&1 &
monpid=$!
sleep 1

step "SIGHUP with seed4's ESP key changed"
for s in left right; do
	mkconf $s "$T/changed.conf"
	kill -HUP "$(daemon_pid $s)"
done
i=0
until xstates left | grep -q 'enc cbc(aes) 0x5555555555555555aaaaaaaaaaaaaaaa '; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/left.log"; fail "the new key did not reach the kernel in 10 s"; }
	sleep 0.1
done
sleep 1.5
kill "$monpid"
wait "$monpid" 2>/dev/null
cat "$T/left.log"

step "monitor"
# one record per event: a line starting at column 0 begins one
awk '
	/^[^ \t]/ { if (r != "") print r; r = $0; next }
	{ sub(/^[ \t]+/, ""); r = r " ; " $0 }
	END { if (r != "") print r }' "$T/monitor" > "$T/events"
cat "$T/events"
[ -s "$T/events" ] || fail "ip xfrm monitor saw no event at all (the changed group must be replaced)"
# seed4's objects: states to 192.168.2.110 (and the kernel's IPIP state of
# its COMP), policies 10.0.1.0/24 -> 10.0.2.0/24
others=$(grep -v -E '(^|Deleted |Updated )src 192\.168\.2\.100 dst 192\.168\.2\.110 |(^|Deleted |Updated )src 10\.0\.1\.0/24 dst 10\.0\.2\.0/24 ' "$T/events")
[ -z "$others" ] || fail "events for an unchanged group: $(echo "$others" | head -n 1 | cut -c1-200)"
grep -q -E 'proto esp spi 0x187a101b' "$T/events" || fail "no event for seed4's ESP state"

step "the view and the traffic"
n=$(xstates left | ours | wc -l)
[ "$n" -eq 12 ] || fail "$n states of ours after the reload, expected 12"
ns left ping -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null ||
	fail "no traffic through the changed group (v4)"
ns left ping -6 -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null ||
	fail "no traffic through an unchanged group (v6)"
# the view keeps config order (issue: "the seed lines, then the reverse
# lines, in config order"), also for a group replaced by the reload
cat "$(view_of left)" > "$T/view"
cat "$T/view"
seed_view | cmp -s - "$T/view" ||
	fail "after the reload the view is not in config order (the replaced group moved: line 1 is now '$(head -n 1 "$T/view" | cut -c1-40)...')"
exit 0
